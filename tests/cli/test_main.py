"""The CLI entry point: version, help, usage errors and exit codes."""


def test_version_prints_package_version(run_cli):
    from toolkit import __version__

    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"edgetk {__version__}"


def test_unknown_verb_is_a_usage_error_with_exit_2(run_cli):
    proc = run_cli("no-such-verb")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
