"""Structure-aware mutations of .tflite flatbuffers for the model fuzzer.

Blind byte flips mostly land in weights, which every reader accepts. So each seed is walked once with the
schema's generated accessors to find where the structure lives — every table field (offsets, indices, enum
tags), every vtable entry, every vector length, every control-flow subgraph index — and most mutations aim
there: out-of-range offsets, huge vector lengths, broken vtables, cyclic or dangling subgraph references.
Blind mutations (bit flips, truncation, inserted bytes, a wrong file identifier) are kept for coverage.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

# Schema field slots (vtable offsets) of the vectors worth lengthening, per table kind.
_VECTORS = {
    "model": (6, 8, 12, 16, 18),  # operator_codes, subgraphs, buffers, metadata, signature_defs
    "subgraph": (4, 6, 8, 10),  # tensors, inputs, outputs, operators
    "tensor": (4, 18),  # shape, shape_signature
    "operator": (6, 8, 14),  # inputs, outputs, custom_options
    "buffer": (4,),  # data
}
# Control-flow options whose fields are subgraph indices: (options class name, field slots).
_CALLS = {"WhileOptions": (4, 6), "IfOptions": (4, 6), "CallOnceOptions": (4,)}


@dataclass
class SeedMap:
    """Where the structure of one seed lives (absolute byte positions)."""

    fields: list[int] = field(default_factory=list)  # every present table field
    vtable_entries: list[int] = field(default_factory=list)  # u16 field offsets inside vtables
    vector_lengths: list[int] = field(default_factory=list)  # u32 element counts
    subgraph_refs: list[int] = field(default_factory=list)  # i32 subgraph indices of WHILE / IF / CALL_ONCE
    n_subgraphs: int = 1


def _table(buf: bytes, pos: int, kind: str, out: SeedMap) -> None:
    vtable = pos - struct.unpack_from("<i", buf, pos)[0]
    vt_len = struct.unpack_from("<H", buf, vtable)[0]
    for slot in range(4, vt_len, 2):
        out.vtable_entries.append(vtable + slot)
        offset = struct.unpack_from("<H", buf, vtable + slot)[0]
        if offset:
            out.fields.append(pos + offset)
            if slot in _VECTORS.get(kind, ()):
                out.vector_lengths.append(pos + offset + struct.unpack_from("<I", buf, pos + offset)[0])


def map_seed(data: bytes) -> SeedMap:
    """Walk a valid model once and record its structural positions."""
    from ai_edge_litert import schema_py_generated as schema

    out = SeedMap()
    model = schema.Model.GetRootAs(data, 0)
    _table(data, model._tab.Pos, "model", out)
    out.n_subgraphs = model.SubgraphsLength()
    for i in range(model.OperatorCodesLength()):
        _table(data, model.OperatorCodes(i)._tab.Pos, "opcode", out)
    for i in range(model.BuffersLength()):
        _table(data, model.Buffers(i)._tab.Pos, "buffer", out)
    for si in range(model.SubgraphsLength()):
        sg = model.Subgraphs(si)
        _table(data, sg._tab.Pos, "subgraph", out)
        for ti in range(sg.TensorsLength()):
            _table(data, sg.Tensors(ti)._tab.Pos, "tensor", out)
        for oi in range(sg.OperatorsLength()):
            op = sg.Operators(oi)
            _table(data, op._tab.Pos, "operator", out)
            _control_flow_refs(data, op, schema, out)
    return out


def _control_flow_refs(data: bytes, op, schema, out: SeedMap) -> None:
    kind = op.BuiltinOptionsType()
    for name, slots in _CALLS.items():
        if kind == getattr(schema.BuiltinOptions, name):
            table = op.BuiltinOptions()
            options = getattr(schema, name)()
            options.Init(data, table.Pos)
            for slot in slots:
                if options._tab.Offset(slot):
                    out.subgraph_refs.append(table.Pos + options._tab.Offset(slot))


def _interesting(n: int, rng: random.Random) -> int:
    """Values that break readers: signedness edges, the file size and just past it, small indices."""
    return rng.choice([0, 1, 2, 3, 7, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
                       0xFFFFFFFF, 0xFFFFFFFE, n - 1, n, n + 4, n * 2, rng.getrandbits(32)])  # fmt: skip


def _put(buf: bytearray, pos: int, width: int, value: int) -> None:
    if 0 <= pos and pos + width <= len(buf):
        buf[pos : pos + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")


def bit_flips(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(len(buf))
        buf[pos] ^= 1 << rng.randrange(8)


def random_bytes(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    for _ in range(rng.randint(1, 4)):
        buf[rng.randrange(len(buf))] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.getrandbits(8)])


def word_overwrite(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    _put(buf, rng.randrange(max(len(buf) // 4, 1)) * 4, 4, _interesting(len(buf), rng))


def field_value(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    """A table field (offset, index, enum, scalar) set to an interesting value at width 1, 2 or 4."""
    _put(buf, rng.choice(m.fields), rng.choice([1, 2, 4, 4]), _interesting(len(buf), rng))


def offset_out_of_range(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    """The root offset or a field pointing at or past the end of the file, or backwards."""
    pos = 0 if rng.random() < 0.2 else rng.choice(m.fields)
    _put(buf, pos, 4, rng.choice([len(buf), len(buf) - pos, len(buf) + rng.randint(1, 1 << 20), -pos - 8,
                                  0x7FFFFFFF, 0xFFFFFFFC]))  # fmt: skip


def huge_vector_length(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    _put(buf, rng.choice(m.vector_lengths), 4, rng.choice([0x7FFFFFFF, 0xFFFFFFFF, 0x10000000, len(buf),
                                                           rng.randint(1, 64) + len(buf) // 4]))  # fmt: skip


def vtable_entry(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    _put(buf, rng.choice(m.vtable_entries), 2, rng.choice([0, 1, 3, 0xFFFF, 0x8000, rng.getrandbits(16)]))


def truncate(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    del buf[rng.randint(0, len(buf) - 1) :]


def insert_bytes(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    """Shift everything after a point: every offset that crosses it is now wrong by a few bytes."""
    pos = rng.randrange(len(buf))
    buf[pos:pos] = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 2, 4, 8, 13])))


def file_identifier(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    buf[4:8] = rng.choice([b"TFL2", b"TFL4", b"\0\0\0\0", b"tfl3", b"FL3T", bytes(rng.getrandbits(8) for _ in range(4))])


def cyclic_subgraph_ref(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    """WHILE / IF subgraph indices rewritten to other VALID indices: a body that runs itself, cond == body."""
    for pos in rng.sample(m.subgraph_refs, rng.randint(1, len(m.subgraph_refs))):
        _put(buf, pos, 4, rng.randrange(m.n_subgraphs))


def dangling_subgraph_ref(buf: bytearray, rng: random.Random, m: SeedMap) -> None:
    _put(buf, rng.choice(m.subgraph_refs), 4, rng.choice([m.n_subgraphs, -1, -2, 0x7FFFFFFF, 1 << 20]))


Mutator = Callable[[bytearray, random.Random, SeedMap], None]
MUTATORS: dict[str, Mutator] = {
    "bit-flips": bit_flips, "random-bytes": random_bytes, "word-overwrite": word_overwrite,
    "field-value": field_value, "offset-out-of-range": offset_out_of_range,
    "huge-vector-length": huge_vector_length, "vtable-entry": vtable_entry, "truncate": truncate,
    "insert-bytes": insert_bytes, "file-identifier": file_identifier,
    "cyclic-subgraph-ref": cyclic_subgraph_ref, "dangling-subgraph-ref": dangling_subgraph_ref,
}  # fmt: skip
_NEEDS_REFS = {"cyclic-subgraph-ref", "dangling-subgraph-ref"}


def applicable(m: SeedMap) -> list[str]:
    return [name for name in MUTATORS if m.subgraph_refs or name not in _NEEDS_REFS]


def mutate(data: bytes, m: SeedMap, rng: random.Random) -> tuple[bytes, str]:
    """One fuzz case: 1 to 3 stacked mutations of ``data``; returns the bytes and the mutation names."""
    buf = bytearray(data)
    names = rng.sample(applicable(m), 1) if rng.random() < 0.7 else rng.choices(applicable(m), k=rng.randint(2, 3))
    for name in names:
        if buf:
            MUTATORS[name](buf, rng, m)
    return bytes(buf), "+".join(names)
