"""Debian packages (.deb) unpacked without dpkg: an ar archive whose ``data.tar.*`` member
is extracted with tarfile's ``data`` filter."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path


class PackageError(ValueError):
    """The file is not a well-formed Debian package, or its files cannot be extracted."""



def unpack_deb(deb: Path, target: Path) -> None:
    """Extract a Debian package's files (its ``data.tar.*`` member) into ``target``.

    A .deb is an ar archive; the tar inside is extracted with tarfile's ``data`` filter,
    which refuses absolute paths, ``..`` components, links out of the target and device
    files, so a malicious package cannot write outside ``target``.
    """
    with open(deb, "rb") as handle:
        if handle.read(8) != b"!<arch>\n":
            raise PackageError(f"{deb.name} is not a Debian package (no ar header)")
        while header := handle.read(60):
            if len(header) < 60 or header[58:60] != b"`\n":
                raise PackageError(f"{deb.name}: corrupt ar member header")
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
            if name.startswith("data.tar"):
                member = io.BytesIO(handle.read(size))
                try:
                    with tarfile.open(fileobj=member, mode="r:*") as archive:
                        archive.extractall(target, filter="data")
                except (tarfile.TarError, OSError) as error:
                    raise PackageError(f"{deb.name}: cannot extract {name}: {error}") from error
                return
            handle.seek(size + size % 2, os.SEEK_CUR)
    raise PackageError(f"{deb.name} has no data.tar member")
