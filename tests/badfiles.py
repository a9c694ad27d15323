"""Broken and protected workbooks, made by the tests (nothing binary is committed).

    looping_fat_xls()      an OLE file whose directory sector chain points at itself
    panicking_xls()        a BIFF8 workbook whose BOUNDSHEET record is cut short (calamine panics)
    encrypted_xls()        a BIFF8 workbook with a FILEPASS record (password to open)
    encrypted_ods()        an .ods whose manifest gives encryption data for content.xml
    huge_extent_xls()      a BIFF8 workbook whose DIMENSIONS record spans A1:IV65536
"""

from __future__ import annotations

import io
import struct
import zipfile

ENDOFCHAIN, FREESECT, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def ole_header(fat_sectors: list[int], first_dir: int) -> bytes:
    """A CFB version-3 header (512-byte sectors) naming the FAT and directory sectors."""
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    head += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    head += struct.pack("<IIIIIIII", 0, len(fat_sectors), first_dir, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN)
    head += struct.pack("<I", 0)    # DIFAT sectors
    difat = fat_sectors + [FREESECT] * (109 - len(fat_sectors))
    return head + struct.pack("<109I", *difat)


def dir_entry(name: str, kind: int, start: int = ENDOFCHAIN, size: int = 0, child: int = FREESECT) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", FREESECT, FREESECT, child) + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size))


def looping_fat_xls() -> bytes:
    """oleloop.xls in a few lines: FAT sector 0, directory at sector 1 whose chain
    leads back to itself, so a reader following it never reaches the end."""
    fat = struct.pack("<II", FATSECT, 1) + struct.pack("<I", FREESECT) * 126
    directory = (dir_entry("Root Entry", 5, child=1) + dir_entry("Workbook", 2, start=2, size=4096)
                 + bytes(128) * 2)
    stream = struct.pack("<I", FREESECT) * 128
    return ole_header([0], 1) + fat + directory + stream


def _biff(cells=True) -> bytes:
    """The Workbook stream of a small xlwt workbook (one sheet, a header row)."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("填报表")
    ws.write(0, 0, "编号")
    ws.write(0, 1, "填报值")
    ws.write(1, 0, "1.1")
    ws.write(1, 1, 5)
    return wb.get_biff_data()


def _ole(stream: bytes) -> bytes:
    from xlwt.CompoundDoc import XlsDoc

    out = io.BytesIO()
    XlsDoc().save(out, stream)
    return out.getvalue()


def _records(stream: bytes):
    """(offset, type, length) of every BIFF record."""
    off = 0
    while off + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, off)
        yield off, kind, length
        off += 4 + length


def encrypted_xls() -> bytes:
    """FILEPASS (RC4, as Excel 97-2003 writes) right after the globals' BOF."""
    stream = _biff()
    off, kind, length = next(_records(stream))
    filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + bytes(48)   # wEncryptionType=1 (RC4), version 1.1
    return _ole(stream[:off + 4 + length] + filepass + stream[off + 4 + length:])


def huge_extent_xls() -> bytes:
    """The sheet's DIMENSIONS record says A1:IV65536 (its cells are four)."""
    stream = bytearray(_biff())
    for off, kind, length in _records(bytes(stream)):
        if kind == 0x0200:
            struct.pack_into("<IIHH", stream, off + 4, 0, 65536, 0, 256)
    return _ole(bytes(stream))


def panicking_xls() -> bytes:
    """The BOUNDSHEET record cut to 3 of its bytes (its length field says 3):
    calamine slices 4 bytes from it and panics ("range end index 4 out of range")."""
    stream = _biff()
    for off, kind, length in _records(stream):
        if kind == 0x0085:
            stream = stream[:off] + struct.pack("<HH", kind, 3) + stream[off + 4:off + 7] + stream[off + 4 + length:]
            break
    return _ole(stream)


def encrypted_ods() -> bytes:
    """An .ods as LibreOffice writes one with a password: content.xml listed in
    the manifest with manifest:encryption-data (its bytes are ciphertext)."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">\n'
        ' <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>\n'
        ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="2048">\n'
        '  <manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA">\n'
        '   <manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>\n'
        '   <manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAA"/>\n'
        '  </manifest:encryption-data>\n'
        ' </manifest:file-entry>\n'
        '</manifest:manifest>\n'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", bytes(range(256)) * 8, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
