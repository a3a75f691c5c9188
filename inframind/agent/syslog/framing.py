"""RFC 6587 framing of one syslog TCP (or TLS) stream, pure: bytes in, messages out.

The framing is chosen by the connection's first byte (RFC 6587 3.4): a digit means octet counting
(``LEN SP MSG``, what ``logger --octet-count`` and RFC 5425 TLS senders use), anything else newline
framing (``MSG LF``, what rsyslog and most devices send). It then holds for the connection, so a
newline-framed line that happens to start with digits is not misread as a length.

Limits: a newline-framed line longer than ``max_bytes`` is cut there and its rest discarded up to the next
newline (the message is kept, flagged truncated); an octet count above ``max_bytes`` raises
:class:`FrameTooLong`, since the stream cannot be trusted after it and the connection should be closed.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_LENGTH_DIGITS = 10


class FrameTooLong(ValueError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"octet-counted frame of {length} bytes is over the limit of {limit}")
        self.length = length


class MalformedFrame(ValueError):
    """An octet-counted stream whose next frame does not start with ``LEN SP``."""


class Frame(NamedTuple):
    data: bytes
    truncated: bool = False


class FrameSplitter:
    """Splits one connection's byte stream into messages; ``feed`` each received chunk, ``finish`` at EOF."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.octet_counting: bool | None = None
        """None until the first byte arrives."""
        self._buf = bytearray()
        self._discarding = False
        """Inside the rest of an over-long newline-framed line."""

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buf += chunk
        if self.octet_counting is None:
            start = self._buf.lstrip(b"\r\n")
            if not start:
                self._buf.clear()
                return []
            self.octet_counting = start[:1].isdigit()
        return self._octets() if self.octet_counting else self._lines()

    def finish(self) -> list[Frame]:
        """What is left at end of stream: a last newline-framed message without its newline is still one."""
        rest, self._buf = bytes(self._buf), bytearray()
        if self.octet_counting or self._discarding or not rest.strip(b"\r\n"):
            return []
        return [Frame(rest[: self.max_bytes], len(rest) > self.max_bytes)]

    def _lines(self) -> list[Frame]:
        buf, out, pos = self._buf, [], 0
        while True:
            newline = buf.find(b"\n", pos)
            if newline < 0:
                if len(buf) - pos > self.max_bytes and not self._discarding:
                    out.append(Frame(bytes(buf[pos : pos + self.max_bytes]), truncated=True))
                    self._discarding = True
                if self._discarding:
                    pos = len(buf)
                break
            if self._discarding:
                self._discarding = False
            elif newline - pos > self.max_bytes:
                out.append(Frame(bytes(buf[pos : pos + self.max_bytes]), truncated=True))
            elif newline > pos + 1 or (newline == pos + 1 and buf[pos] != 0x0D):  # blank (CR)LF lines vanish
                out.append(Frame(bytes(buf[pos:newline])))
            pos = newline + 1
        del buf[:pos]
        return out

    def _octets(self) -> list[Frame]:
        buf, out, pos = self._buf, [], 0
        while pos < len(buf):
            if buf[pos] in b"\r\n ":  # separators some senders put between frames
                pos += 1
                continue
            space = buf.find(b" ", pos, pos + MAX_LENGTH_DIGITS + 1)
            if space < 0:
                if len(buf) - pos > MAX_LENGTH_DIGITS or not buf[pos:].isdigit():
                    raise MalformedFrame(f"expected an octet count, got {bytes(buf[pos : pos + 16])!r}")
                break  # the count continues in the next chunk
            digits = buf[pos:space]
            if not digits.isdigit():
                raise MalformedFrame(f"expected an octet count, got {bytes(buf[pos : pos + 16])!r}")
            length = int(digits)
            if length > self.max_bytes:
                raise FrameTooLong(length, self.max_bytes)
            end = space + 1 + length
            if end > len(buf):
                break
            out.append(Frame(bytes(buf[space + 1 : end])))
            pos = end
        del buf[:pos]
        return out
