#!/usr/bin/env python3
"""mailtool.py - SMTP client and smtp-sink dump reader for the integration tests.

  mailtool.py send PORT SENDER RCPT... < MESSAGE
      One SMTP transaction to 127.0.0.1:PORT (with SMTPUTF8 when an address
      is not ASCII). Prints one line per step:
      "MAIL code text", "RCPT <addr> code text" for each recipient, then
      "DATA code text" (only when a recipient was accepted). A server that
      refuses the connection or the greeting prints "CONNECT code text".
      Exit 0 when the message was accepted (DATA 250), 1 otherwise.
  mailtool.py abort PORT SENDER RCPT...
      MAIL and RCPT as send does, then RSET and QUIT: a transaction that
      ends before DATA.
  mailtool.py drop PORT SENDER RCPT... < MESSAGE
      MAIL, RCPT, DATA and the message's header block, then the connection
      is closed without the final dot: a transaction lost during DATA.
  mailtool.py arrived DIR
      Every complete message smtp-sink dumped into DIR (recursively), one
      line per recipient: "FILE<TAB>RCPT".
  mailtool.py headers FILE
      The header block of the message in a dump file, as received: the
      smtp-sink records (X-Client-Addr ... its own three-line Received) are
      left out.
  mailtool.py message FILE
      The message in a dump file as the MTA sent it: without smtp-sink's
      records and its Received, and without the empty line it appends.
  mailtool.py field FILE NAME
      Each instance of header field NAME in that message, unfolded
      (CRLF/LF + WSP -> the WSP), one per line, value only.
  mailtool.py strip FILE
      The header block without the lines the MTAs add (smtp-sink's records
      and every Received field, folded lines included).
  mailtool.py token FILE
      The token at the end of the HTTPS URL in List-Unsubscribe.
  mailtool.py dkim FILE KEYTXT
      Verify the message's DKIM signature (python3-dkim) with the public key
      of opendkim-genkey's KEYTXT as the only DNS answer; print the h= tags
      and "verified" or "failed". Exit 0 only when it verifies.
"""
import os
import re
import smtplib
import sys

SINK_FIELDS = (b"x-client-addr", b"x-client-proto", b"x-helo-args", b"x-mail-args",
               b"x-rcpt-args")


def send(port, sender, rcpts):
    """one SMTP transaction; prints every reply"""
    data = sys.stdin.buffer.read()
    try:
        s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="client.test.example",
                         timeout=60)
    except smtplib.SMTPConnectError as e:
        print("CONNECT %d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace")))
        return 1
    except (smtplib.SMTPServerDisconnected, OSError) as e:
        print("CONNECT 000 %s" % e)
        return 1
    try:
        s.ehlo()
        # an address beyond ASCII needs SMTPUTF8 (smtplib then sends UTF-8 commands)
        utf8 = any(not a.isascii() for a in [sender] + rcpts)
        code, text = s.mail(sender, ["SMTPUTF8"] if utf8 else [])
        print("MAIL %d %s" % (code, text.decode(errors="replace")))
        if code != 250:
            s.quit()
            return 1
        accepted = 0
        for r in rcpts:
            code, text = s.rcpt(r)
            print("RCPT <%s> %d %s" % (r, code, text.decode(errors="replace").replace("\n", " ")))
            accepted += code in (250, 251)
        if not accepted:
            s.quit()
            return 1
        try:
            code, text = s.data(data)
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        print("DATA %d %s" % (code, text.decode(errors="replace").replace("\n", " ")))
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
        return 0 if code == 250 else 1
    except smtplib.SMTPServerDisconnected as e:
        print("DISCONNECT 000 %s" % e)
        return 1


def unfinished(port, sender, rcpts, how):
    """a transaction that ends before the message is accepted: RSET (abort) or a lost connection (drop)"""
    data = sys.stdin.buffer.read() if how == "drop" else b""
    s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="client.test.example", timeout=60)
    s.ehlo()
    code, text = s.mail(sender)
    print("MAIL %d %s" % (code, text.decode(errors="replace")))
    for r in rcpts:
        code, text = s.rcpt(r)
        print("RCPT <%s> %d %s" % (r, code, text.decode(errors="replace").replace("\n", " ")))
    if how == "abort":
        code, text = s.rset()
        print("RSET %d %s" % (code, text.decode(errors="replace")))
        s.quit()
        return 0
    code, text = s.docmd("DATA")
    print("DATA %d %s" % (code, text.decode(errors="replace")))
    head = data.split(b"\n\n", 1)[0].replace(b"\n", b"\r\n") + b"\r\n\r\nthe first line of a body that never ends\r\n"
    s.sock.sendall(head)
    s.sock.close()
    return 0


def split_dump(path):
    """(sink records, message header lines, body) of one dump file; lines keep their LF"""
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    records, i = [], 0
    while i < len(lines) and lines[i].split(b":", 1)[0].lower() in SINK_FIELDS:
        records.append(lines[i])
        i += 1
    # smtp-sink's own Received: one field of three lines
    if i < len(lines) and lines[i].lower().startswith(b"received:"):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    headers = []
    while i < len(lines) and lines[i].strip(b"\r\n") != b"":
        headers.append(lines[i])
        i += 1
    return records, headers, lines[i:]


def complete(path):
    """smtp-sink ends a finished dump with an empty line"""
    with open(path, "rb") as f:
        data = f.read()
    return data.endswith(b"\n\n") or data.endswith(b"\r\n\r\n")


def dumps(top):
    """every dump file below top, in name order"""
    out = []
    for d, _, files in os.walk(top):
        out += [os.path.join(d, f) for f in files]
    return sorted(out)


def arrived(top):
    for path in dumps(top):
        if not complete(path):
            continue
        records, _, _ = split_dump(path)
        for r in records:
            if r.lower().startswith(b"x-rcpt-args:"):
                arg = r.split(b":", 1)[1].strip().decode(errors="replace")
                m = re.match(r"<([^>]*)>", arg)
                print("%s\t%s" % (path, m.group(1) if m else arg))
    return 0


def fields(headers):
    """[(name, unfolded value)] of a header block"""
    out = []
    for line in headers:
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += line.rstrip(b"\r\n")
        else:
            name, _, value = line.rstrip(b"\r\n").partition(b":")
            out.append([name, value])
    return [(n.decode(errors="replace"), v.decode(errors="replace").strip()) for n, v in out]


def field(path, name):
    _, headers, _ = split_dump(path)
    for n, v in fields(headers):
        if n.lower() == name.lower():
            print(v)
    return 0


def strip(path):
    """header block without MTA trace fields"""
    _, headers, _ = split_dump(path)
    skipping = False
    for line in headers:
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                sys.stdout.buffer.write(line)
            continue
        skipping = line.lower().startswith(b"received:")
        if not skipping:
            sys.stdout.buffer.write(line)
    return 0


def token(path):
    _, headers, _ = split_dump(path)
    for n, v in fields(headers):
        if n.lower() == "list-unsubscribe":
            m = re.search(r"<https://[^>]*/([^/>]+)>", v)
            if m:
                print(m.group(1))
                return 0
    return 1


def dkim_verify(path, keytxt):
    try:
        import dkim
    except ImportError:
        print("no python3-dkim")
        return 2
    with open(keytxt) as f:
        txt = "".join(re.findall(r'"([^"]*)"', f.read()))
    # the message as the receiver sees it: without smtp-sink's records, CRLF line ends
    _, headers, body = split_dump(path)
    body = body[:-1] if body and body[-1].strip(b"\r\n") == b"" and len(body) > 1 else body
    msg = b"".join(l.rstrip(b"\r\n") + b"\r\n" for l in headers + body)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return txt.encode() if name.rstrip(".").lower() == "sel._domainkey.lists.example" else None

    for n, v in fields(headers):
        if n.lower() == "dkim-signature":
            tags = dict((t.split("=", 1)[0].strip(), t.split("=", 1)[1])
                        for t in v.split(";") if "=" in t)
            print("h=" + re.sub(r"\s+", "", tags.get("h", "")))
    ok = dkim.verify(msg, dnsfunc=dnsfunc)
    print("verified" if ok else "failed")
    return 0 if ok else 1


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 64
    cmd, args = argv[1], argv[2:]
    if cmd == "send" and len(args) >= 3:
        return send(args[0], args[1], args[2:])
    if cmd in ("abort", "drop") and len(args) >= 3:
        return unfinished(args[0], args[1], args[2:], cmd)
    if cmd == "arrived" and len(args) == 1:
        return arrived(args[0])
    if cmd == "headers" and len(args) == 1:
        _, headers, _ = split_dump(args[0])
        sys.stdout.buffer.write(b"".join(headers))
        return 0
    if cmd == "message" and len(args) == 1:
        _, headers, body = split_dump(args[0])
        if len(body) > 1 and body[-1].strip(b"\r\n") == b"":
            body = body[:-1]
        sys.stdout.buffer.write(b"".join(headers + body))
        return 0
    if cmd == "field" and len(args) == 2:
        return field(args[0], args[1])
    if cmd == "strip" and len(args) == 1:
        return strip(args[0])
    if cmd == "token" and len(args) == 1:
        return token(args[0])
    if cmd == "dkim" and len(args) == 2:
        return dkim_verify(args[0], args[1])
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
