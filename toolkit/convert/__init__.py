"""Conversion to .tflite: `convert_model` runs TensorFlow in a child process (toolkit.convert.worker).

Importing this package never imports TensorFlow.
"""

from toolkit.convert.api import ConverterFailed, convert_model
from toolkit.convert.options import ConversionReport, ConvertOptions

__all__ = ["ConversionReport", "ConvertOptions", "ConverterFailed", "convert_model"]
