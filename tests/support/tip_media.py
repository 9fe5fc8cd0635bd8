"""Files a resident's phone produces: a photo with GPS EXIF, and the marks to look for."""

from __future__ import annotations

import io
import struct

from PIL import ExifTags, Image

# Values chosen to be recognisable wherever they might leak.
GPS_DATUM = "WGS-84-TINBAO-GPS-MARK"
GPS_LATITUDE = (21.0, 51.0, 12.3456)
GPS_LONGITUDE = (106.0, 45.0, 54.321)
CAMERA_MAKE = "TinbaoPhone-Make-Mark"
JPEG_COMMENT = b"tinbao-jpeg-comment-mark"


def gps_exif() -> Image.Exif:
    """EXIF of a phone photo: maker, orientation (rotate 90°) and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    gps[ExifTags.GPS.GPSMapDatum] = GPS_DATUM
    return exif


def photo_with_gps(size: tuple[int, int] = (160, 120), fmt: str = "JPEG") -> bytes:
    """A picture wider than tall whose EXIF says: rotate it, and here is where I was."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", exif=gps_exif(), comment=JPEG_COMMENT, icc_profile=b"icc" * 40)
    else:
        image.save(out, fmt, exif=gps_exif())
    return out.getvalue()


def gps_marks() -> list[bytes]:
    """Byte strings whose presence would betray the GPS tag or the camera."""
    marks = [GPS_DATUM.encode(), CAMERA_MAKE.encode(), JPEG_COMMENT]
    # The coordinates as the EXIF writes them: three rationals each, in both byte orders.
    with Image.open(io.BytesIO(photo_with_gps())) as image:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for tag in (ExifTags.GPS.GPSLatitude, ExifTags.GPS.GPSLongitude):
        rationals = [(int(r.numerator), int(r.denominator)) for r in gps[tag]]
        for order in (">", "<"):
            marks.append(b"".join(struct.pack(order + "II", n, d) for n, d in rationals))
    # ... and as decimal degrees in text.
    marks += [b"21.8534", b"106.7650"]
    return marks


def has_metadata(data: bytes) -> list[str]:
    """What metadata an image still carries (empty when clean)."""
    found = []
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        if len(exif):
            found.append("exif")
        if exif.get_ifd(ExifTags.IFD.GPSInfo):
            found.append("gps")
        for key in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"):
            if key in image.info:
                found.append(key)
    return found
