#!/usr/bin/env python3
"""mclient.py - a minimal MTA side of the milter protocol, for what miltertest cannot do.

miltertest copies a header into a 1024-byte buffer (so no 100 KB header) and keeps
no reply text except at end of message. This client reads steps from stdin, one
per line, fields separated by TABs, each field with Python backslash escapes
(\\r, \\n, \\t, \\xNN; UTF-8 is passed as it is):

    conn HOST IP            connect information (macros {daemon_name} via "macro C")
    macro STAGE NAME VALUE ...   macros for stage C, M, R or E
    mail ADDR               MAIL FROM (reply printed)
    rcpt ADDR               RCPT TO (reply printed)
    hdr NAME VALUE          one header
    hdrfill NAME SIZE       a header of SIZE octets of "x"
    eoh | eom | abort | quit

and prints, for every step that gets an answer, "STEP<TAB>REPLY<TAB>TEXT", REPLY being
continue, accept, reject, tempfail, discard or replycode (TEXT is then the SMTP
reply), or "closed" when the milter hung up. At end of message each change comes
first as "mod<TAB>KIND<TAB>FIELDS" (fields joined with "|"). Exit 0, 2 on bad input.
Usage: mclient.py unix:/path/to/socket < steps
       mclient.py inet:PORT@HOST [SOURCE-ADDRESS] < steps
"""
import codecs
import socket
import struct
import sys

REPLIES = {b"c": "continue", b"a": "accept", b"r": "reject", b"t": "tempfail",
           b"d": "discard", b"y": "replycode"}
MODS = {b"h": "addheader", b"i": "insheader", b"m": "chgheader", b"-": "delrcpt",
        b"+": "addrcpt", b"2": "addrcpt_par", b"e": "chgfrom", b"b": "replbody",
        b"q": "quarantine"}
# the actions and steps Postfix offers (milter protocol 6)
ACTIONS = 0x1FF
PROTOCOL = 0x1FFFFF
NOHELO, NOBODY, NR_HDR, NODATA, NR_EOH = 0x2, 0x10, 0x80, 0x200, 0x40000


class Closed(Exception):
    pass


def field(text):
    return codecs.escape_decode(text.encode("utf-8"))[0]


class Milter:
    def __init__(self, where, source=None):
        if where.startswith("unix:"):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = where[5:]
        elif where.startswith("inet:") and "@" in where:
            port, host = where[5:].split("@", 1)
            self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if source:
                self.s.bind((source, 0))
            target = (host, int(port))
        else:
            raise SystemExit("mclient: unix:/path or inet:PORT@HOST")
        self.s.settimeout(20)
        self.s.connect(target)
        self.proto = 0

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise Closed()
            buf += chunk
        return buf

    def recv(self):
        (n,) = struct.unpack(">I", self.recv_exact(4))
        body = self.recv_exact(n)
        return body[:1], body[1:]

    def reply(self):
        while True:
            cmd, data = self.recv()
            if cmd != b"p":        # progress: keep waiting
                return cmd, data

    def negotiate(self):
        self.send(b"O", struct.pack(">III", 6, ACTIONS, PROTOCOL))
        cmd, data = self.recv()
        if cmd != b"O":
            raise SystemExit("mclient: negotiation answered %r" % cmd)
        _, _, self.proto = struct.unpack(">III", data[:12])


def show(cmd, data):
    name = REPLIES.get(cmd, "unknown-%r" % cmd)
    text = data.rstrip(b"\0").decode("utf-8", "replace") if cmd == b"y" else ""
    return name, text


def out(*parts):
    line = "\t".join(parts).replace("\r", "\\r").replace("\n", "\\n")
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: mclient.py unix:SOCKET | inet:PORT@HOST [SOURCE] < steps\n")
        return 2
    m = Milter(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
    try:
        m.negotiate()
    except (Closed, ConnectionError):
        out("negotiate", "closed")
        return 0
    for raw in sys.stdin.read().splitlines():
        if not raw.strip():
            continue
        f = raw.split("\t")
        step, args = f[0], [field(a) for a in f[1:]]
        try:
            if step == "conn":
                m.send(b"C", args[0] + b"\0" + b"4" + struct.pack(">H", 25) + args[1] + b"\0")
                out(step, *show(*m.reply()))
                if not m.proto & NOHELO:
                    m.send(b"H", b"mclient.example\0")
                    m.reply()
            elif step == "macro":
                m.send(b"D", args[0][:1] + b"".join(a + b"\0" for a in args[1:]))
            elif step in ("mail", "rcpt"):
                m.send(b"M" if step == "mail" else b"R", b"".join(a + b"\0" for a in args))
                out(step, *show(*m.reply()))
            elif step in ("hdr", "hdrfill"):
                value = args[1] if step == "hdr" else b"x" * int(args[1])
                m.send(b"L", args[0] + b"\0" + value + b"\0")
                if not m.proto & NR_HDR:
                    out(step, *show(*m.reply()))
            elif step == "eoh":
                if not m.proto & NODATA:
                    m.send(b"T")
                    m.reply()
                m.send(b"N")
                if not m.proto & NR_EOH:
                    out(step, *show(*m.reply()))
            elif step == "eom":
                m.send(b"E")
                while True:
                    cmd, data = m.reply()
                    if cmd in REPLIES:
                        out(step, *show(cmd, data))
                        break
                    if cmd in (b"m", b"i"):
                        (idx,) = struct.unpack(">I", data[:4])
                        parts = [str(idx)] + [p.decode("utf-8", "replace")
                                              for p in data[4:].rstrip(b"\0").split(b"\0")]
                    else:
                        parts = [p.decode("utf-8", "replace")
                                 for p in data.rstrip(b"\0").split(b"\0")]
                    out("mod", MODS.get(cmd, "unknown-%r" % cmd), "|".join(parts))
            elif step == "abort":
                m.send(b"A")
            elif step == "quit":
                m.send(b"Q")
            else:
                sys.stderr.write("mclient: unknown step %s\n" % step)
                return 2
        except (Closed, ConnectionError):
            out(step, "closed", "")
            return 0
        except socket.timeout:
            out(step, "timeout", "")
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
