#!/usr/bin/env python3
"""mload.py - a milter-protocol load client that speaks as Postfix's smtpd does, for benchmarks.

Each of N connections (one process each) negotiates protocol 6 offering what Postfix 3.7 offers,
sends the connect macros and CONNECT, then M messages: MAIL with its macros, k RCPTs with theirs,
the headers, EOH, a body chunk and EOM (each step only when the milter did not negotiate it away,
and waiting for a reply only when the milter did not say it sends none), reading every
modification until the final answer; RSET-like abort between messages is not needed (EOM ends
the transaction). List messages (--list-ratio of them) carry List-Id and go to recipients of
which every second one is in the store (cN@...) and the others not (uN@...); transactional ones
have no list header. Every reply is checked: a recipient without consent must be refused at RCPT
(or deleted at EOM), one with consent accepted; a check that fails is counted and exits 1.

Prints one line of figures: messages, seconds, the milter's CPU seconds (from /proc/PID/stat of
--pid, user + system), CPU per message, and client-side latency per message p50/p99 in ms.
Usage: mload.py --socket unix:/path --pid PID [--conns N] [--messages M] [--rcpts K]
                [--list-ratio R] [--subscribers S] [--check|--no-check]
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

ACTIONS = 0x1FF
PROTOCOL = 0x1FFFFF          # what Postfix offers (milter protocol 6)
NOCONNECT, NOHELO, NOMAIL, NORCPT, NOBODY, NOHDRS, NOEOH = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40
NR_HDR, NOUNKNOWN, NODATA, SKIP = 0x80, 0x100, 0x200, 0x400
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT, NR_DATA, NR_UNKN, NR_EOH, NR_BODY = (
    0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000)
FINAL = (b"a", b"c", b"t", b"r", b"d", b"y")


class Milter:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def recv(self):
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    if body[:1] != b"p":
                        return body[:1], body[1:]
                    continue
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("milter closed the connection")
            self.buf += chunk

    def macros(self, stage, pairs):
        self.send(b"D", stage + b"".join(k + b"\0" + v + b"\0" for k, v in pairs))


def session(args, conn_no, latencies, errors):
    m = Milter(args.socket[5:])
    m.send(b"O", struct.pack(">III", 6, ACTIONS, PROTOCOL))
    cmd, data = m.recv()
    _, _, proto = struct.unpack(">III", data[:12])
    if not proto & NOCONNECT:
        m.macros(b"C", [(b"j", b"mta.bench.example"), (b"{daemon_name}", b"smtpd"),
                        (b"{daemon_addr}", b"127.0.0.1"), (b"v", b"Postfix 3.7.11"), (b"_", b"client.bench [192.0.2.9]")])
        m.send(b"C", b"client.bench\0" + b"4" + struct.pack(">H", 40000 + conn_no) + b"192.0.2.9\0")
        if not proto & NR_CONN:
            m.recv()
    if not proto & NOHELO:
        m.send(b"H", b"client.bench\0")
        if not proto & NR_HELO:
            m.recv()
    qid = 0
    for n in range(args.messages):
        is_list = (n % 100) < args.list_ratio * 100
        t0 = time.perf_counter()
        qid += 1
        sender = b"bounce-news-%d@lists.bench.example" % n if is_list else b"shop@shop.bench.example"
        if not proto & NOMAIL:
            m.macros(b"M", [(b"{mail_addr}", sender), (b"{mail_host}", b"lists.bench.example"),
                            (b"{mail_mailer}", b"smtp")])
            m.send(b"M", b"<" + sender + b">\0")
            if not proto & NR_MAIL:
                m.recv()
        expect_refused = []
        for r in range(args.rcpts):
            k = (conn_no * 7919 + n * args.rcpts + r) % args.subscribers
            consented = (r % 2 == 0) or not is_list
            addr = (b"c%d@example.org" if consented else b"u%d@example.org") % k
            if not proto & NORCPT:
                pairs = [(b"{rcpt_addr}", addr), (b"{rcpt_host}", b"example.org"), (b"{rcpt_mailer}", b"smtp")]
                if r:       # Postfix knows the queue id from the second RCPT on
                    pairs.insert(0, (b"i", b"Q%d.%d" % (conn_no, qid)))
                m.macros(b"R", pairs)
                m.send(b"R", b"<" + addr + b">\0")
                if not proto & NR_RCPT:
                    cmd, data = m.recv()
                    refused = cmd in (b"r", b"t", b"y") and not data.startswith(b"2")
                    if args.check and consented and refused:
                        errors.append("rcpt %s refused: %r %r" % (addr.decode(), cmd, data[:60]))
                    if refused:
                        continue
            if is_list and not consented:
                expect_refused.append(addr)
        if not proto & NODATA:
            m.macros(b"T", [(b"i", b"Q%d.%d" % (conn_no, qid))])
            m.send(b"T")
            if not proto & NR_DATA:
                m.recv()
        headers = [(b"From", b"News <news@lists.bench.example>" if is_list else b"Shop <shop@shop.bench.example>"),
                   (b"To", b"undisclosed-recipients:;"), (b"Subject", b"bench %d" % n),
                   (b"Message-ID", b"<%d.%d@bench.example>" % (conn_no, n))]
        if is_list:
            headers.append((b"List-Id", b"News <news.bench.example>"))
        accepted_early = False
        if not proto & NOHDRS:
            for name, value in headers:
                m.send(b"L", name + b"\0" + value + b"\0")
                if not proto & NR_HDR:
                    cmd, _ = m.recv()
                    accepted_early |= cmd == b"a"
        if not proto & NOEOH:
            m.macros(b"N", [(b"i", b"Q%d.%d" % (conn_no, qid))])
            m.send(b"N")
            if not proto & NR_EOH:
                cmd, _ = m.recv()
                accepted_early |= cmd == b"a"
        if not accepted_early:
            if not proto & NOBODY:
                m.send(b"B", b"Hello,\r\nthis is a benchmark message.\r\n")
                if not proto & NR_BODY:
                    m.recv()
            m.macros(b"E", [(b"i", b"Q%d.%d" % (conn_no, qid))])
            m.send(b"E")
            deleted = []
            while True:
                cmd, data = m.recv()
                if cmd == b"-":
                    deleted.append(data.rstrip(b"\0").strip(b"<>"))
                elif cmd in FINAL:
                    break
            if args.check:
                missing = [a for a in expect_refused if a not in deleted]
                if missing:
                    errors.append("eom: not removed %s" % missing)
        latencies.append(time.perf_counter() - t0)
    m.send(b"Q")


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rcpts", type=int, default=5)
    ap.add_argument("--list-ratio", type=float, default=1.0)
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--check", dest="check", action="store_true", default=True)
    ap.add_argument("--no-check", dest="check", action="store_false")
    args = ap.parse_args()
    cpu0, t0 = cpu_seconds(args.pid), time.perf_counter()
    children = []
    for c in range(args.conns):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            lat, errs = [], []
            try:
                session(args, c, lat, errs)
            except Exception as e:      # the parent reports it as a failed check
                errs.append("session: %s" % e)
            os.write(w, json.dumps([lat, errs]).encode())
            os._exit(0)
        os.close(w)
        children.append((pid, r))
    lat, errs = [], []
    for pid, r in children:
        data = b""
        while True:
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            data += chunk
        os.waitpid(pid, 0)
        l, e = json.loads(data) if data else ([], ["no result from a session"])
        lat += l
        errs += e
    secs, cpu = time.perf_counter() - t0, cpu_seconds(args.pid) - cpu0
    lat.sort()
    n = len(lat)
    p = lambda q: lat[min(n - 1, int(q * n))] * 1000 if n else float("nan")
    print("messages=%d seconds=%.3f milter_cpu=%.3f cpu_per_message_ms=%.4f p50_ms=%.3f p99_ms=%.3f errors=%d"
          % (n, secs, cpu, cpu / n * 1000 if n else float("nan"), p(0.5), p(0.99), len(errs)))
    for e in errs[:10]:
        print("# " + e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
