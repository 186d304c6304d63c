"""Reader for the IDX format of MNIST-style datasets.

The parser checks the magic number, the element type, the declared shape against
the payload size, and (optionally) the shape the caller expects, so a truncated or
foreign file fails with a message instead of yielding garbage arrays.
"""

from __future__ import annotations

import struct

import numpy as np

UNSIGNED_BYTE = 0x08


class IDXFormatError(ValueError):
    """The bytes are not a well-formed IDX file of the expected shape."""


def parse_idx(data: bytes, expected_shape: tuple[int, ...] | None = None, name: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes into a read-only ``uint8`` array."""
    if len(data) < 4:
        raise IDXFormatError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero0, zero1, dtype_code, ndim = struct.unpack(">BBBB", data[:4])
    if zero0 != 0 or zero1 != 0:
        raise IDXFormatError(f"{name}: bad magic number {data[:4].hex()} (must start with 0000)")
    if dtype_code != UNSIGNED_BYTE:
        raise IDXFormatError(f"{name}: element type 0x{dtype_code:02x} is not unsigned byte (0x08)")
    if ndim == 0:
        raise IDXFormatError(f"{name}: declares zero dimensions")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(f"{name}: truncated header ({len(data)} bytes, need {header_size})")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    payload = len(data) - header_size
    expected_payload = int(np.prod(shape, dtype=np.int64))
    if payload != expected_payload:
        raise IDXFormatError(
            f"{name}: header declares shape {shape} ({expected_payload} bytes) "
            f"but the payload has {payload} bytes (truncated or corrupt file)"
        )
    if expected_shape is not None and tuple(shape) != tuple(expected_shape):
        raise IDXFormatError(f"{name}: shape {tuple(shape)} differs from the expected {tuple(expected_shape)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def encode_idx(array: np.ndarray) -> bytes:
    """Encode a ``uint8`` array as IDX bytes (the inverse of :func:`parse_idx`)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, UNSIGNED_BYTE, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def read_idx(path, expected_shape: tuple[int, ...] | None = None) -> np.ndarray:
    with open(path, "rb") as handle:
        return parse_idx(handle.read(), expected_shape, name=str(path))
