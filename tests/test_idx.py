import struct

import numpy as np
import pytest

from prunelab.data.idx import IDXFormatError, encode_idx, parse_idx, read_idx


def test_round_trip_images_and_labels(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([5, 0], dtype=np.uint8)
    np.testing.assert_array_equal(parse_idx(encode_idx(images), (2, 28, 28)), images)
    path = tmp_path / "labels"
    path.write_bytes(encode_idx(labels))
    np.testing.assert_array_equal(read_idx(path, (2,)), labels)
    assert encode_idx(labels)[:4] == b"\x00\x00\x08\x01"


@pytest.mark.parametrize("data, message", [
    (b"", "too short"),
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
    (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00", "not unsigned byte"),
    (b"\x00\x00\x08\x00", "zero dimensions"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated header"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x00" * 9, "truncated or corrupt"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x00" * 11, "truncated or corrupt"),
])
def test_malformed_files_fail_with_a_message(data, message):
    with pytest.raises(IDXFormatError, match=message):
        parse_idx(data)


def test_unexpected_shape_is_rejected():
    with pytest.raises(IDXFormatError, match="differs from the expected"):
        parse_idx(encode_idx(np.zeros((3, 28, 27), np.uint8)), (3, 28, 28))


# Fuzzing: whatever the bytes, the parser returns a well-formed array or raises IDXFormatError.
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_crash_the_parser(data):
    try:
        array = parse_idx(data)
    except IDXFormatError:
        return
    assert array.dtype == np.uint8 and array.size == len(data) - 4 - 4 * array.ndim


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=4), st.integers(-8, 8), st.binary(max_size=4))
def test_mutated_headers_and_payloads_are_rejected_or_exact(shape, size_change, tail):
    data = encode_idx(np.zeros(shape, np.uint8))
    mutated = data[:max(0, len(data) + size_change)] if size_change < 0 else data + tail[:size_change]
    try:
        array = parse_idx(mutated, tuple(shape))
    except IDXFormatError:
        assert mutated != data
        return
    assert mutated == data and array.shape == tuple(shape)
