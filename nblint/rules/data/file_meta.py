"""What a data file says of its own size, read from its metadata only, never from its data.

Used by NB301 (unchunked-read), in `nblint check` and in the guard alike, so every read here is a few
small reads at known places, bounded in bytes and in steps:

- a `.zip` archive: its central directory (found from the end-of-central-directory record in the last
  64 KiB) holds each member's uncompressed size. pandas reads a zip holding exactly one file; with
  several it raises, so only a one-member archive is sized.
- a `.gz` file: the last 4 bytes (ISIZE) hold the uncompressed size modulo 4 GiB (RFC 1952). A file
  that may have wrapped (its ISIZE smaller than the compressed bytes) is taken as the smallest size
  above the compressed bytes with that remainder, and said to be a floor.
- `.bz2`, `.xz`, `.zst`, `.tar*`: no cheap size in the format; estimated at 4x the compressed bytes
  (text compresses 4-10x), and said to be an estimate.
- a Parquet file: the footer (thrift, compact protocol) at the end holds the row count and each row
  group's `total_byte_size` (the uncompressed size of its column data). Read by hand, not through
  pyarrow, with a cap on the footer's bytes and on the fields walked.

Anything unreadable, truncated or odd gives None: the caller falls back to the size on disk.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

GiB = 2**30
ISIZE_MODULUS = 2**32
# Text compresses 4-10x: what a compressed text file holds, at the low end, when its format says nothing.
COMPRESSION_FACTOR = 4

# pandas' own table (pandas.io.common.extension_to_compression), longest suffix first.
_SUFFIXES = (
    (".tar.gz", "tar"),
    (".tar.bz2", "tar"),
    (".tar.xz", "tar"),
    (".tgz", "tar"),
    (".tar", "tar"),
    (".gz", "gzip"),
    (".bz2", "bz2"),
    (".zip", "zip"),
    (".xz", "xz"),
    (".zst", "zstd"),
)
METHODS = frozenset({"gzip", "bz2", "zip", "xz", "zstd", "tar"})
_LABELS = {"gzip": "gzip", "bz2": "bzip2", "zip": "zip", "xz": "xz", "zstd": "zstd", "tar": "tar"}

_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_MAX_ZIP_TAIL = 65536 + 22
_MAX_CENTRAL_DIRECTORY = 1 << 20

_PARQUET_MAGIC = b"PAR1"
MAX_PARQUET_FOOTER = 1 << 20  # 1 MiB: a footer past it is too wide to walk within the guard's budget
_MAX_THRIFT_STEPS = 200_000


def compression_of_name(path: str) -> str | None:
    """The compression pandas infers from a file name ('infer'), or None."""
    lowered = path.lower()
    for suffix, method in _SUFFIXES:
        if lowered.endswith(suffix):
            return method
    return None


@dataclass(frozen=True)
class Decompressed:
    """The bytes a compressed file holds once decompressed."""

    size: int | None  # None: the archive cannot be read as pandas reads it (no report)
    how: str  # for messages: "gzip, 3.2 GiB by its trailer (ISIZE, modulo 4 GiB)"
    exact: bool  # read from the file's metadata (True), or estimated from the compressed bytes


def decompressed_size(path: str | os.PathLike, method: str, disk_size: int) -> Decompressed:
    label = _LABELS.get(method, method)
    try:
        if method == "zip":
            found = _zip_member(path)
            if found is not None:
                name, size = found
                if size is None:
                    return Decompressed(None, f"{label} archive holding {name}, not exactly one file", True)
                return Decompressed(
                    size, f"zip member {name}: {_size(size)} uncompressed, by the archive's directory", True
                )
        elif method == "gzip":
            isize = _gzip_isize(path)
            if isize is not None:
                size = isize
                if size < disk_size:  # wrapped past 4 GiB (or incompressible data): the smallest size it can be
                    size += ((disk_size - size) // ISIZE_MODULUS + 1) * ISIZE_MODULUS
                    return Decompressed(
                        size,
                        f"gzip, at least {_size(size)} uncompressed (its trailer's ISIZE counts modulo 4 GiB)",
                        True,
                    )
                note = "; the size counts modulo 4 GiB" if disk_size >= ISIZE_MODULUS // 16 else ""
                return Decompressed(size, f"gzip, {_size(size)} uncompressed by its trailer (ISIZE{note})", True)
    except (OSError, ValueError, struct.error):
        pass
    estimate = disk_size * COMPRESSION_FACTOR
    return Decompressed(estimate, f"{label}, estimated at x{COMPRESSION_FACTOR} the compressed bytes", False)


def _size(size: int) -> str:
    from nblint.core.options import format_size

    return format_size(size)


def _read_tail(path: str | os.PathLike, count: int) -> tuple[bytes, int]:
    """The last `count` bytes of the file and the file's size."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        start = max(0, end - count)
        handle.seek(start)
        return handle.read(end - start), end


def _gzip_isize(path: str | os.PathLike) -> int | None:
    with open(path, "rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            return None
        handle.seek(-4, os.SEEK_END)
        tail = handle.read(4)
    return struct.unpack("<I", tail)[0] if len(tail) == 4 else None


def _zip_member(path: str | os.PathLike) -> tuple[str, int | None] | None:
    """(name, uncompressed size) of a one-file archive; (summary, None) for any other count of entries;
    None when the file is no zip archive nblint can read."""
    tail, end = _read_tail(path, _MAX_ZIP_TAIL)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    (_, _, _, entries, directory_size, directory_offset, _) = struct.unpack("<HHHHIIH", tail[at + 4 : at + 22])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF or directory_offset == 0xFFFFFFFF:
        located = _zip64_directory(path, tail, at, end)
        if located is None:
            return None
        entries, directory_size, directory_offset = located
    if entries != 1:
        return (f"{entries} files", None)
    if directory_size > _MAX_CENTRAL_DIRECTORY or directory_size < 46:
        return None
    # a prefix (a self-extracting stub) shifts every offset: the directory sits just before the record
    directory_start = (end - len(tail) + at) - directory_size
    with open(path, "rb") as handle:
        handle.seek(directory_start)
        directory = handle.read(directory_size)
    if directory[:4] != _CENTRAL:
        return None
    (_, _, _, _, _, _, _, _, uncompressed, name_length, extra_length, _, _, _, _, _) = struct.unpack(
        "<HHHHHHIIIHHHHHII", directory[4:46]
    )
    name = directory[46 : 46 + name_length].decode("utf-8", "replace")
    if uncompressed == 0xFFFFFFFF:  # the size is in the zip64 extra field
        extra = directory[46 + name_length : 46 + name_length + extra_length]
        uncompressed = None
        position = 0
        while position + 4 <= len(extra):
            tag, length = struct.unpack("<HH", extra[position : position + 4])
            if tag == 1 and length >= 8:
                uncompressed = struct.unpack("<Q", extra[position + 4 : position + 12])[0]
                break
            position += 4 + length
        if uncompressed is None:
            return None
    if name.endswith("/"):
        return (f"one folder ({name})", None)
    return (name, uncompressed)


def _zip64_directory(path, tail: bytes, at: int, end: int) -> tuple[int, int, int] | None:
    locator = at - 20
    if locator < 0 or tail[locator : locator + 4] != _ZIP64_LOCATOR:
        return None
    (_, record_offset, _) = struct.unpack("<IQI", tail[locator + 4 : locator + 20])
    with open(path, "rb") as handle:
        handle.seek(record_offset)
        record = handle.read(56)
    if len(record) < 56 or record[:4] != _ZIP64_EOCD:
        return None
    (_, _, _, _, _, _, entries, directory_size, directory_offset) = struct.unpack("<QHHIIQQQQ", record[4:56])
    return entries, directory_size, directory_offset


# -- Parquet ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParquetFooter:
    """What a Parquet file's footer says of its table."""

    rows: int
    columns: int  # leaf columns of the schema
    uncompressed: int  # the row groups' total_byte_size, summed
    row_groups: int


def parquet_footer(path: str | os.PathLike) -> ParquetFooter | None:
    """The row count, leaf columns and uncompressed bytes a Parquet file's footer records; None when the
    file is no Parquet file, its footer is larger than MAX_PARQUET_FOOTER, or it cannot be parsed."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != _PARQUET_MAGIC:
                return None
            handle.seek(-8, os.SEEK_END)
            trailer = handle.read(8)
            if len(trailer) != 8 or trailer[4:] != _PARQUET_MAGIC:
                return None
            length = struct.unpack("<I", trailer[:4])[0]
            if length > MAX_PARQUET_FOOTER or length == 0:
                return None
            handle.seek(-8 - length, os.SEEK_END)
            footer = handle.read(length)
        if len(footer) != length:
            return None
        return _file_metadata(footer)
    except (OSError, ValueError, IndexError, struct.error, RecursionError):
        return None


class _Thrift:
    """Just enough of thrift's compact protocol to walk a FileMetaData."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.steps = 0

    def byte(self) -> int:
        value = self.data[self.at]
        self.at += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise ValueError("varint too long")

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def fields(self):
        """(field id, type) of each field of a struct, until its STOP; the caller reads or skips each value."""
        last = 0
        while True:
            self.steps += 1
            if self.steps > _MAX_THRIFT_STEPS:
                raise ValueError("footer too long to walk")
            header = self.byte()
            kind = header & 0x0F
            if kind == 0:
                return
            delta = header >> 4
            last = last + delta if delta else self.zigzag()
            yield last, kind

    def list_header(self) -> tuple[int, int]:
        header = self.byte()
        size = header >> 4
        if size == 15:
            size = self.varint()
        return size, header & 0x0F

    def skip(self, kind: int, depth: int = 0) -> None:
        if depth > 32:
            raise ValueError("nested too deep")
        self.steps += 1
        if kind in (1, 2):  # booleans: in the field header
            return
        if kind == 3:
            self.at += 1
        elif kind in (4, 5, 6):
            self.varint()
        elif kind == 7:
            self.at += 8
        elif kind == 8:
            length = self.varint()  # read before `self.at` is taken
            self.at += length
        elif kind in (9, 10):
            size, element = self.list_header()
            for _ in range(size):
                if element in (1, 2):
                    self.at += 1  # a boolean in a list is a byte of its own
                else:
                    self.skip(element, depth + 1)
                self.steps += 1
                if self.steps > _MAX_THRIFT_STEPS:
                    raise ValueError("footer too long to walk")
        elif kind == 11:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip(types >> 4, depth + 1)
                    self.skip(types & 0x0F, depth + 1)
        elif kind == 12:
            for _, field_kind in self.fields():
                self.skip(field_kind, depth + 1)
        else:
            raise ValueError(f"unknown thrift type {kind}")
        if self.at > len(self.data):
            raise ValueError("truncated")


def _file_metadata(footer: bytes) -> ParquetFooter | None:
    reader = _Thrift(footer)
    rows = None
    leaves = 0
    uncompressed = 0
    groups = 0
    for field, kind in reader.fields():
        if field == 2 and kind == 9:  # schema: list<SchemaElement>
            size, element = reader.list_header()
            for _ in range(size):
                has_children = False
                for inner, inner_kind in reader.fields():
                    if inner == 5 and inner_kind == 5:  # num_children
                        has_children = reader.zigzag() > 0
                    else:
                        reader.skip(inner_kind)
                leaves += not has_children
        elif field == 3 and kind == 6:  # num_rows
            rows = reader.zigzag()
        elif field == 4 and kind == 9:  # row_groups: list<RowGroup>
            size, element = reader.list_header()
            for _ in range(size):
                groups += 1
                for inner, inner_kind in reader.fields():
                    if inner == 2 and inner_kind == 6:  # total_byte_size
                        uncompressed += reader.zigzag()
                    else:
                        reader.skip(inner_kind)
        else:
            reader.skip(kind)
    if rows is None or rows < 0 or uncompressed < 0 or reader.at > len(footer):
        return None
    return ParquetFooter(rows=rows, columns=leaves, uncompressed=uncompressed, row_groups=groups)


# -- Feather (Arrow IPC file) ----------------------------------------------------------------------
#
# An Arrow IPC file is "ARROW1\0\0", the stream's messages, a flatbuffer Footer, its length (int32) and
# "ARROW1". The Footer holds the schema and one Block (offset, metadata length, body length) per record
# batch; each batch's own metadata (a flatbuffer Message at the Block's offset) holds its row count and
# the offset and length of each buffer of its body. Uncompressed, the body is what the batch takes in
# memory. Compressed (Feather 2 writes LZ4 by default), each buffer begins with its uncompressed length
# as an int64 (-1: stored as is): 8 bytes read at a known place, the data never.

_ARROW_MAGIC = b"ARROW1"
MAX_FEATHER_FOOTER = 1 << 20
FEATHER_BATCHES_READ = 64  # record batches whose metadata is read; the rest scaled by their body lengths
_MAX_BUFFER_PREFIXES = 1024  # compressed buffers whose 8-byte uncompressed length is read
_MAX_MESSAGE = 1 << 20
_BLOCK_SIZE = 24  # struct Block { offset: long; metaDataLength: int; (pad); bodyLength: long }
_RECORD_BATCH = 3  # MessageHeader union tag


@dataclass(frozen=True)
class FeatherFooter:
    """What a Feather (Arrow IPC) file's footer and batches say of its table."""

    rows: int
    columns: int  # top-level fields of the schema
    uncompressed: int  # the record and dictionary batches' bodies once decompressed
    batches: int
    compressed: bool
    scaled: bool  # more batches than were read: the rest scaled from the ones read (an estimate)


class _Flat:
    """Just enough of flatbuffers to read tables, vectors of structs and vectors of tables."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def u8(self, at: int) -> int:
        return self.data[at]

    def u16(self, at: int) -> int:
        return struct.unpack_from("<H", self.data, at)[0]

    def i32(self, at: int) -> int:
        return struct.unpack_from("<i", self.data, at)[0]

    def u32(self, at: int) -> int:
        return struct.unpack_from("<I", self.data, at)[0]

    def i64(self, at: int) -> int:
        return struct.unpack_from("<q", self.data, at)[0]

    def root(self) -> int:
        return self.u32(0)

    def field(self, table: int, index: int) -> int | None:
        """Where field `index` of the table at `table` is stored, or None when absent (its default)."""
        vtable = table - self.i32(table)
        if vtable < 0 or vtable + 4 > len(self.data):
            raise ValueError("vtable out of range")
        size = self.u16(vtable)
        slot = 4 + 2 * index
        if slot + 2 > size:
            return None
        offset = self.u16(vtable + slot)
        return table + offset if offset else None

    def indirect(self, at: int) -> int:
        return at + self.u32(at)

    def vector(self, table: int, index: int) -> tuple[int, int]:
        """(first element, length) of a vector field; (0, 0) when absent."""
        at = self.field(table, index)
        if at is None:
            return 0, 0
        start = self.indirect(at)
        if start + 4 > len(self.data):
            raise ValueError("vector out of range")
        return start + 4, self.u32(start)


def feather_footer(path: str | os.PathLike) -> FeatherFooter | None:
    """Rows, columns and uncompressed bytes of an Arrow IPC file (Feather 2) from its footer and its
    batches' metadata; None when the file is none (Feather 1, a stream, garbage) or is too odd to read."""
    try:
        with open(path, "rb") as handle:
            if handle.read(6) != _ARROW_MAGIC:
                return None
            handle.seek(0, os.SEEK_END)
            end = handle.tell()
            if end < 6 + 2 + 10:
                return None
            handle.seek(end - 10)
            trailer = handle.read(10)
            if trailer[4:] != _ARROW_MAGIC:
                return None
            length = struct.unpack("<i", trailer[:4])[0]
            if length <= 0 or length > MAX_FEATHER_FOOTER or length > end - 18:
                return None
            handle.seek(end - 10 - length)
            footer = _Flat(handle.read(length))
            return _read_feather(handle, footer, end)
    except (OSError, ValueError, IndexError, struct.error):
        return None


def _blocks(footer: _Flat, table: int, index: int) -> list[tuple[int, int, int]]:
    start, count = footer.vector(table, index)
    if start + count * _BLOCK_SIZE > len(footer.data):
        raise ValueError("blocks out of range")
    return [
        (footer.i64(at), footer.i32(at + 8), footer.i64(at + 16))
        for at in range(start, start + count * _BLOCK_SIZE, _BLOCK_SIZE)
    ]


def _read_feather(handle, footer: _Flat, end: int) -> FeatherFooter | None:
    root = footer.root()
    columns = 0
    schema_at = footer.field(root, 1)
    if schema_at is not None:
        _, columns = footer.vector(footer.indirect(schema_at), 1)
    batches = _blocks(footer, root, 3)
    blocks = batches + _blocks(footer, root, 2)  # record batches, then dictionaries
    record_batches = len(batches)
    rows = uncompressed = 0
    read_body = rest_body = 0
    compressed = False
    prefixes = 0
    for number, (offset, metadata_length, body_length) in enumerate(blocks):
        if offset < 0 or metadata_length <= 0 or body_length < 0 or offset + metadata_length + body_length > end:
            return None
        if number >= FEATHER_BATCHES_READ:
            rest_body += body_length
            continue
        batch = _batch(handle, offset, metadata_length)
        if batch is None:
            return None
        batch_rows, buffers, batch_compressed = batch
        if number < record_batches:
            rows += batch_rows
        read_body += body_length
        if not batch_compressed:
            uncompressed += body_length
            continue
        compressed = True
        body = offset + metadata_length
        for buffer_offset, buffer_length in buffers:
            if buffer_length == 0:
                continue
            if buffer_length < 8 or buffer_offset < 0 or buffer_offset + buffer_length > body_length:
                return None
            if prefixes >= _MAX_BUFFER_PREFIXES:
                uncompressed += buffer_length  # not read: counted as stored (a floor)
                continue
            prefixes += 1
            handle.seek(body + buffer_offset)
            raw = handle.read(8)
            if len(raw) != 8:
                return None
            size = struct.unpack("<q", raw)[0]
            uncompressed += buffer_length - 8 if size == -1 else max(size, 0)
    scaled = rest_body > 0
    if scaled and read_body:
        uncompressed += uncompressed * rest_body // read_body
        rows += rows * rest_body // read_body
    return FeatherFooter(rows, columns, uncompressed, record_batches, compressed, scaled)


def _batch(handle, offset: int, metadata_length: int) -> tuple[int, list[tuple[int, int]], bool] | None:
    """(rows, buffers as (offset, length) in the body, compressed) of the record batch at `offset`."""
    if metadata_length > _MAX_MESSAGE:
        return None
    handle.seek(offset)
    raw = handle.read(metadata_length)
    if len(raw) != metadata_length or len(raw) < 8:
        return None
    start = 8 if raw[:4] == b"\xff\xff\xff\xff" else 4  # the continuation marker (Arrow >= 0.15), then the size
    message = _Flat(raw[start:])
    root = message.root()
    kind_at = message.field(root, 1)
    header_at = message.field(root, 2)
    if kind_at is None or header_at is None:
        return None
    kind = message.u8(kind_at)
    batch = message.indirect(header_at)
    if kind == 2:  # DictionaryBatch { id; data: RecordBatch; isDelta }
        data_at = message.field(batch, 1)
        if data_at is None:
            return None
        batch = message.indirect(data_at)
    elif kind != _RECORD_BATCH:
        return None
    length_at = message.field(batch, 0)
    rows = message.i64(length_at) if length_at is not None else 0
    start, count = message.vector(batch, 2)
    if start + count * 16 > len(message.data):
        return None
    buffers = [(message.i64(at), message.i64(at + 8)) for at in range(start, start + count * 16, 16)]
    return rows, buffers, message.field(batch, 3) is not None
