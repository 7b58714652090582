#!/usr/bin/env python3
"""snippets.py - every command and snippet of the README and the man pages, run or checked.

Every fenced block of README.md and every .nf/.fi block of the four man pages must be claimed by
exactly one rule of RULES below, or the test fails naming it: a new snippet without a test cannot
slip in. What a rule does with its block:

  walkthrough  run as written, in order, as a new admin would: the README's build from source
               and "sudo make install", then the production setup, the Postfix lines, the
               unsubscribe endpoint, metrics, page templates, the optinctl commands, the imports
               from other sending services; in a sandbox (tests/docs/sandbox.sh: overlays on /etc,
               /usr and /var in a private mount namespace), so "sudo useradd optin" and
               "/var/spool/postfix/optin-milter" are the real paths and the machine is untouched.
               "systemctl" lines are checked, not run (no systemd here): the unit exists where
               make install put it and systemd-analyze verify accepts it.
  config       a libconfig fragment: merged into a configuration and loaded by optin-milter -n
               (no "configuration not usable").
  postfix      main.cf or master.cf lines: added to Debian's own files, then postconf and
               postfix check say nothing.
  output       text the programs print: its fixed part must be in the source that prints it.
  covered      run by another test, which must contain the given marker (the block's own words).

Usage: snippets.py SRCDIR BUILDDIR   (prints TAP; root is needed for the walkthrough)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MANPAGES = ["milter/optin-milter.8", "milter/optin-milter.conf.5", "tools/optinctl/optinctl.1",
            "tools/optin-unsubd/optin-unsubd.8"]
n = 0
TMP = tempfile.mkdtemp(prefix="optin-docs.")
os.chmod(TMP, 0o755)
WORK = os.path.join(TMP, "work")
os.makedirs(WORK)
os.chmod(WORK, 0o777)      # the examples run some commands as optin here


def ok(cond, desc, diag=""):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc))
    if not cond and diag:
        for line in str(diag).rstrip().splitlines()[-40:]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def skip(desc, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, desc, why))


def run(cmd, **kw):
    """a command's exit status and its output (stdout and stderr together)"""
    p = subprocess.run(cmd, shell=isinstance(cmd, str), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, **kw)
    return p.returncode, p.stdout


# --- the blocks ---

def readme_blocks():
    blocks, cur, start = [], None, 0
    for i, line in enumerate(open(os.path.join(SRC, "README.md"), encoding="utf-8"), 1):
        if line.startswith("```"):
            if cur is None:
                cur, start, lang = [], i, line[3:].strip()
            else:
                blocks.append(("README.md:%d" % start, lang, "".join(cur)))
                cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


ROFF = [(r"\\f[BIRP]", ""), (r"\\-", "-"), (r"\\\(dq", '"'), (r"\\\(aq", "'"), (r"\\\(ga", "`"),
        (r"\\e", "\\\\"), (r"\\&", ""), (r"\\\(em", "--")]


def unroff(line):
    for pat, rep in ROFF:
        line = re.sub(pat, rep, line)
    return line


def man_blocks():
    blocks = []
    for page in MANPAGES:
        cur = None
        for i, line in enumerate(open(os.path.join(BUILD, page), encoding="utf-8"), 1):
            if line.startswith((".nf", ".EX")):
                cur, start = [], i
            elif line.startswith((".fi", ".EE")) and cur is not None:
                blocks.append(("%s:%d" % (os.path.basename(page), start), "man", "".join(cur)))
                cur = None
            elif cur is not None and not line.startswith(".\\\""):
                cur.append(unroff(line))
    return blocks


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


# --- config fragments ---

BASE_CONF = """database = "%(t)s/db";
keys = "%(t)s/keys";
log_target = "stderr";
"""


def config_loads(text, name):
    """the fragment, completed with a store and key file of its own, loads (optin-milter -n)"""
    d = tempfile.mkdtemp(dir=TMP)
    conf = os.path.join(d, "conf")
    body = text
    # a fragment that names the store or keys keeps its own; the rest get ours
    base = BASE_CONF % {"t": d}
    if re.search(r"^\s*database\s*=", body, re.M):
        base = re.sub(r"database = .*\n", "", base)
    if re.search(r"^\s*keys\s*=", body, re.M):
        base = re.sub(r"keys = .*\n", "", base)
    if not re.search(r"^\s*lists\s*=", body, re.M):
        body += '\nlists = ( { id = "news"; } );\n'
    open(conf, "w").write(base + body)
    rc, out = run([os.path.join(BUILD, "milter/optin-milter"), "-n", "-c", conf])
    return ok("not usable" not in out and not re.search(r"^%s:\d+: " % re.escape(conf), out, re.M),
              "%s: the configuration fragment loads" % name, out)


# --- Postfix fragments ---

def postfix_dir():
    d = tempfile.mkdtemp(dir=TMP)
    shutil.copy("/usr/share/postfix/master.cf.dist", os.path.join(d, "master.cf"))
    shutil.copy("/usr/share/postfix/main.cf.debian", os.path.join(d, "main.cf"))
    with open(os.path.join(d, "main.cf"), "a") as f:
        f.write("compatibility_level = 3.6\nmydestination =\nsmtpd_tls_security_level = none\n")
    return d


PIPE_MASTER = []     # the README's pipe transports in master.cf, which its main.cf lines configure


def postfix_ok(text, name):
    d = postfix_dir()
    kind = "master.cf" if re.search(r"^\S+\s+(inet|unix)\s", text, re.M) else "main.cf"
    if kind == "main.cf" and "optin-mailto" in text:
        with open(os.path.join(d, "master.cf"), "a") as f:
            f.write("".join(PIPE_MASTER))
    with open(os.path.join(d, kind), "a") as f:
        f.write(text)
    rc, out = run(["postconf", "-c", d, "-n"])
    rc2, out2 = run(["postconf", "-c", d, "-M"])
    noisy = [l for l in (out + out2).splitlines() if "warning" in l or "fatal" in l]
    if kind == "main.cf":   # postconf keeps "# text" after a value as part of it
        noisy += ["a comment after a value: " + l for l in text.splitlines()
                  if "=" in l and not l.lstrip().startswith("#") and "#" in l]
    ok(rc == 0 and rc2 == 0 and not noisy, "%s: %s lines accepted by postconf (Debian's files)" % (name, kind),
       out + out2)


# --- output samples ---

def covered(text, name, test, marker):
    path = os.path.join(SRC, test)
    body = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    ok(marker in body, "%s: run by %s" % (name, test), "%s does not exist or lacks %r" % (test, marker))


# --- the walkthrough in the sandbox ---

STATE = os.path.join(TMP, "state")
SANDBOX = os.path.join(SRC, "tests/docs/sandbox.sh")
CAN_SANDBOX = None


def sandbox(script, name):
    """run script in the sandbox (cwd WORK); its exit status and output"""
    path = os.path.join(TMP, "step.sh")
    open(path, "w").write("cd %s\n%s" % (WORK, script))
    return run([SANDBOX, STATE, path])


def shell_of(block):
    """a README sh block as a script: systemctl lines become unit checks"""
    out = []
    for line in block.splitlines():
        words = line.split("#")[0].split()
        if "systemctl" in words:
            units = [w for w in words if w.startswith("optin")]
            out.append("check_units " + " ".join(units))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


UNIT_CHECK = r"""
check_units() {
    for u in "$@"; do
        f=/usr/lib/systemd/system/$u; [ -f "$f" ] || f=/usr/lib/systemd/system/$u.service
        [ -f "$f" ] || { echo "unit $u: not installed"; return 1; }
        if command -v systemd-analyze > /dev/null; then
            systemd-analyze verify "$f" 2>&1 | grep -v 'Failed to \(connect\|open\)\|not running\|/dev/kmsg' | grep . \
                && { echo "unit $u: systemd-analyze verify complains"; return 1; }
        fi
        echo "unit $u: installed and verified"
    done
    return 0
}
"""


def walk_step(block, name, prepare="", after=""):
    rc, out = sandbox(UNIT_CHECK + prepare + shell_of(block) + after, name)
    return ok(rc == 0, "%s: runs as written (sandbox)" % name, out), out


def walkthrough(blocks_by_marker):
    """the README's install-from-source and production setup, in order, in one sandbox"""
    b = blocks_by_marker
    os.makedirs(WORK, exist_ok=True)
    build = b["build"]
    clone = os.path.join(TMP, "src")
    if BUILD != clone:
        return ok(False, "%s: the README's build" % build[0], "it did not build")
    rc, out = sandbox("cd %s && sudo make install > install.log 2>&1 || { tail -20 install.log; exit 1; }\n"
                      "ls /usr/bin/optinctl /usr/sbin/optin-milter /usr/sbin/optin-unsubd "
                      "/etc/optin-milter.conf.sample /usr/share/man/man8/optin-milter.8 "
                      "/usr/lib/systemd/system/optin-milter.service\n" % clone, build[0])
    if not ok(rc == 0, "%s: sudo make install puts programs, man pages, sample and units where the README says"
              % build[0], out):
        return
    name, _, text = b["permissions"]
    okp, out = walk_step(text, name)
    # the Postfix section: its install line, then main.cf as written into Debian's files
    name, _, text = b["postfix-dir"]
    walk_step(text, name)
    name, _, text = b["postfix-main"]
    rc, out = sandbox("cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf\n"
                      "postconf -e compatibility_level=3.6 'mydestination =' smtpd_tls_security_level=none\n"
                      "cat >> /etc/postfix/main.cf <<'EOF'\n%sEOF\n"
                      "cmp /etc/postfix/master.cf /usr/share/postfix/master.cf.dist\n"
                      "optin-milter -n\n" % text, name)
    ok(rc == 0 and "note:" not in out and "configuration OK" in out,
       "%s: main.cf as written, Debian's chrooted master.cf: optin-milter -n finds the socket" % name, out)
    # the -n example: make exactly its two mistakes, then compare
    name, _, text = b["n-output"]
    rc, out = sandbox("cp /etc/optin-milter.conf /etc/optin-milter.conf.good\n"
                      "sed -i 's|^socket = .*|socket = \"unix:/run/optin-milter/optin-milter.sock\";|' /etc/optin-milter.conf\n"
                      "chown -R root:root /var/lib/optin-milter; chmod 0640 /var/lib/optin-milter/*.mdb\n"
                      "optin-milter -n 2>&1 || true\n"
                      "mv /etc/optin-milter.conf.good /etc/optin-milter.conf; chown -R optin:optin /var/lib/optin-milter\n",
                      name)
    ok(out.strip() == text.strip(), "%s: the example is what optin-milter -n prints for those two mistakes" % name,
       "printed:\n" + out)
    for key in ("unsubd", "metrics-conf", "metrics", "templates", "optinctl", "imports"):
        if key in b:
            walk_more(key, b)
    name, _, text = b["logrotate"]
    rc, out = sandbox("cat > /tmp/readme-logrotate <<'EOF'\n%sEOF\n"
                      "grep -v '^#' /etc/logrotate.d/optin-milter > /tmp/installed\n"
                      "grep -v '^#' /tmp/readme-logrotate | diff - /tmp/installed\n"
                      "logrotate -d /etc/logrotate.d/optin-milter > /dev/null 2>&1\n" % text, name)
    ok(rc == 0, "%s: the logrotate file is the one make install puts there, and logrotate reads it" % name, out)
    name, _, text = b["unit-excerpt"]
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    rc, out = sandbox("".join("grep -qxF '%s' /usr/lib/systemd/system/optin-unsubd.service || "
                              "{ echo 'not in the unit: %s'; exit 1; }\n" % (l, l) for l in lines), name)
    ok(rc == 0, "%s: every line of the excerpt is in the installed unit" % name, out)


def build_from_readme():
    """./autogen.sh, ./configure and make as the README says, in a clean clone; its path, or None"""
    build = [b for b in readme_blocks() if first_line(b[2]).startswith("./autogen.sh")]
    if not build:
        return None
    clone = os.path.join(TMP, "src")
    # the source files as they are (tracked, and new ones not ignored), without any build output
    top = run(["git", "-C", SRC, "rev-parse", "--show-toplevel"])[1].strip()
    rc, out = run(["git", "-C", SRC, "ls-files", "-z", "-c", "-o", "--exclude-standard"])
    if rc == 0 and os.path.realpath(top) == os.path.realpath(SRC):
        for rel in out.split("\0"):
            if rel and os.path.isfile(os.path.join(SRC, rel)):
                os.makedirs(os.path.dirname(os.path.join(clone, rel)), exist_ok=True)
                shutil.copy2(os.path.join(SRC, rel), os.path.join(clone, rel))
    else:           # a distcheck tree is no git checkout: its files are the distributed ones
        shutil.copytree(SRC, clone, symlinks=True, ignore=shutil.ignore_patterns("*.o", "*.a"))
    lines = [l.split("#")[0].strip() for l in build[0][2].splitlines() if l.split("#")[0].strip()]
    # "make && make check": the check is the run this test is part of
    steps = [l.replace(" && make check", "") for l in lines if not l.startswith("sudo make install")]
    rc, out = run(" && ".join(steps) + " > build.log 2>&1 || { tail -30 build.log; exit 1; }", cwd=clone)
    ok(rc == 0, "%s: ./autogen.sh, ./configure with the README's paths, make" % build[0][0], out)
    return clone if rc == 0 else None


def walk_more(key, b):
    name, _, text = b[key]
    if key == "unsubd":
        walk_step(text, name)
    elif key == "metrics-conf":
        rc, out = sandbox("sed -i '/^#*metrics_file/d' /etc/optin-milter.conf\n"
                          "cat >> /etc/optin-milter.conf <<'EOF'\n%sEOF\noptin-milter -n\n" % text, name)
        ok(rc == 0, "%s: the metrics setting in the configuration; optin-milter -n still passes" % name, out)
    elif key == "metrics":
        if not os.path.isdir("/var/lib/prometheus/node-exporter"):
            skip("%s: runs as written" % name, "prometheus-node-exporter is not installed (tests/setup-debian.sh installs it)")
            return
        okm, out = walk_step(text, name, after="su -s /bin/sh optin -c 'touch /var/lib/prometheus/node-exporter/x.prom'\n")
    elif key == "templates":
        html = b["templates-html"][2]
        path = first_line(html).split()[1]
        open(os.path.join(WORK, "frag"), "w").write(text)
        rc, out = sandbox("cp /etc/optin-milter.conf /etc/optin-milter.conf.good\n"
                          "mkdir -p %s\ncat > %s <<'EOF'\n%sEOF\n"
                          "python3 - <<'PY'\nimport re\nc = open('/etc/optin-milter.conf').read()\n"
                          "i = c.index('lists = (')\nj = c.index(');', i)\n"
                          "open('/etc/optin-milter.conf', 'w').write(c[:i] + open('frag').read() + c[j + 2:])\nPY\n"
                          "optin-unsubd -n -c /etc/optin-milter.conf\n"
                          "mv /etc/optin-milter.conf.good /etc/optin-milter.conf\n"
                          % (os.path.dirname(path), path, html), name)
        ok(rc == 0, "%s and the template: optin-unsubd -n loads them" % name, out)
    elif key == "optinctl":
        csv = "address,list,consented_at,source\nbob@example.com,news,2025-03-01T09:00:00Z,shop\n"
        open(os.path.join(WORK, "subscribers.csv"), "w").write(csv)
        script = []
        for line in text.splitlines():
            if line.startswith("optinctl subscribe"):
                script.append("CODE=$(%s)" % line.split("#")[0])
            elif line.startswith("optinctl confirm CODE"):
                script.append(line.replace("CODE", '"$CODE"', 1))
            else:
                script.append(line)
        okc, out = walk_step("\n".join(script) + "\n", name)
    elif key == "imports":
        data = os.path.join(SRC, "tests/data/feedback")
        files = {"bounces.csv": "sendgrid_bounces.csv", "spam_reports.csv": "sendgrid_spam_reports.csv",
                 "global_unsubscribes.csv": "sendgrid_unsubscribes.csv", "group_news.csv": "sendgrid_unsubscribes.csv",
                 "unsubscribes.csv": "mailgun_unsubscribes.csv", "suppressions.csv": "postmark.csv"}
        for dst, src in files.items():
            shutil.copy(os.path.join(data, src), os.path.join(WORK, dst))
        # aws is the one stand-in: a response in the shape of SESv2 ListSuppressedDestinations
        aws = os.path.join(STATE, "shim", "aws")
        open(aws, "w").write("#!/bin/sh\ncat <<'EOF'\n" + json.dumps({"SuppressedDestinationSummaries": [
            {"EmailAddress": "hard@example.net", "Reason": "BOUNCE", "LastUpdateTime": "2025-02-01T10:00:00Z"},
            {"EmailAddress": "angry@example.net", "Reason": "COMPLAINT", "LastUpdateTime": "2025-02-02T10:00:00Z"}]})
            + "\nEOF\n")
        os.chmod(aws, 0o755)
        if shutil.which("jq") is None:
            skip("%s: runs as written" % name, "jq is not installed (tests/setup-debian.sh installs it)")
            return
        okc, out = walk_step(text, name, after="optinctl show hard@example.net | grep -q suppress\n")


# --- the rules: (where, first-line pattern, handler, arguments) ---

def rule_table():
    return [
        ("README", r"^# the demo:", "top", None),
        ("README", r"^sudo apt-get install debhelper", "debian", None),
        ("README", r"^\./autogen\.sh", "walk", "build"),
        ("README", r"^database = \"/var/lib/optin-milter\";", "config", None),
        ("README", r"^optinctl init\s+# create", "walk", "optinctl"),
        ("README", r"^# main\.cf$", "walk", "postfix-main"),
        ("README", r"^# optin-milter\.conf$", "config", None),
        ("README", r"^# optin-milter\.conf for Sendmail", "config", None),
        ("README", r"^sudo install -d -o optin -g optin -m 0750 /var/spool/optin-milter", "man-run", ""),
        ("README", r"^sudo install -d -o optin -g postfix -m 0750 /var/spool/postfix/optin-milter", "walk", "postfix-dir"),
        ("README", r"^# master\.cf \(no spaces", "postfix", None),
        ("README", r"^dnl sendmail\.mc", "covered", ("tests/integration/sendmail_real.sh", "grep \"^INPUT_MAIL_FILTER(\\`optin'\" \"$top_srcdir/README.md\"")),
        ("README", r"^# opendkim\.conf", "opendkim", None),
        ("README", r"^egress_ips = ", "config", None),
        ("README", r"^\{\"seq\":", "journal-json", None),
        ("README", r"^optinctl journal -a Ann", "covered", ("tests/cli/journal.sh", "the README's commands for compliance officers")),
        ("README", r"^sudo cp /etc/optin-milter\.conf\.sample", "walk", "permissions"),
        ("README", r"^consent store /var/lib/optin-milter: user optin cannot", "walk", "n-output"),
        ("README", r"^# optin-milter\.conf: the metrics file", "walk", "metrics-conf"),
        ("README", r"^sudo apt-get install prometheus-node-exporter", "walk", "metrics"),
        ("README", r"^# /etc/logrotate\.d/optin-milter", "walk", "logrotate"),
        ("README", r"^lists = \( \{ id = \"news\"; display_name", "walk", "templates"),
        ("README", r"^<!-- /etc/optin-milter/pages/news/unsubscribe\.en\.html", "walk", "templates-html"),
        ("README", r"^# /usr/lib/systemd/system/optin-unsubd\.service", "walk", "unit-excerpt"),
        ("README", r"^sudo optin-unsubd -n", "walk", "unsubd"),
        ("README", r"^# /etc/nginx/sites-available/", "nginx", None),
        ("README", r"^# master\.cf$", "postfix", None),
        ("README", r"^# main\.cf \(the pipe transports", "postfix", None),
        ("README", r"^# /etc/postfix/optin_transport", "transport", None),
        ("README", r"^# Amazon SES", "walk", "imports"),
        # optin-milter(8)
        ("optin-milter.8", r"^550 5\.7\.1 <ann@example\.org>: no consent", "output", ("policy/enforce/message.c", "<%s>: no consent for list %s (%s)")),
        ("optin-milter.8", r"^550 5\.7\.1 list news: 2 of 5", "output", ("policy/enforce/message.c", "%zu of %zu recipients have no consent and cannot be removed")),
        ("optin-milter.8", r"^X-Optin-Verdict:", "output", ("policy/enforce/message.c", "list=%s; mode=monitor; recipients=%zu; would-deny=%zu")),
        ("optin-milter.8", r"^451 4\.3\.0 consent database unavailable", "output", ("policy/enforce/message.c", "consent database unavailable for list %s, try again later")),
        ("optin-milter.8", r"^550 5\.7\.23 SPF", "output", ("policy/enforce/message.c", "SPF %s: %s does not authorize %s to send list %s")),
        ("optin-milter.8", r"^List-Unsubscribe: <https", "output", ("policy/enforce/message.c", "List-Unsubscribe-Post")),
        ("optin-milter.8", r"^# opendkim\.conf", "opendkim", None),
        ("optin-milter.8", r"^# main\.cf: optin-milter first", "postfix", None),
        ("optin-milter.8", r"^# optin-milter\.conf", "config", None),
        ("optin-milter.8", r"^# master\.cf", "postfix", None),
        ("optin-milter.8", r"^dnl sendmail\.mc", "sendmail-man", None),
        ("optin-milter.8", r"^\{\"time\":", "journal-json", None),
        ("optin-milter.8", r"^optin-12\.1: queue_id=", "output", ("policy/enforce/message.c", "%s: queue_id=%s")),
        ("optin-milter.8", r"^# /etc/logrotate\.d/optin-milter", "logrotate-man", None),
        ("optin-milter.8", r"^ID: verdict: rcpt=", "output", ("policy/enforce/message.c", "%s: %s: rcpt=%s%s%s list=%s reason=%s mode=%s%s%s")),
        ("optin-milter.8", r"^4R2xYz0bN1z9tq: reject: rcpt=", "output", ("policy/enforce/message.c", "%s: %s: rcpt=%s%s%s list=%s reason=%s mode=%s%s%s")),
        ("optin-milter.8", r"^install -d -o optin -g postfix", "man-run", ""),
        ("optin-milter.8", r"^install -d -o optin -g adm", "man-run", ""),
        ("optin-milter.8", r"^lists\.example TXT v=spf1", "spfzone", None),
        # optin-milter.conf(5)
        ("optin-milter.conf.5", r"^lists = \($", "config", None),
        ("optin-milter.conf.5", r"^FILE:LINE: KEY: what was expected", "output", ("policy/config/config.c", "append(ctx, \" %s%s: \", prefix, key);")),
        ("optin-milter.conf.5", r"^database = ", "config", None),
        # optinctl(1)
        ("optinctl.1", r"^optinctl: import F: N rows", "output", ("tools/optinctl/import.c", "import %s: %lu rows, added %lu, updated %lu, unchanged %lu, kept opt-out %lu, ")),
        ("optinctl.1", r"^address,list,state,method,consented_at", "output", ("tools/optinctl/export.c", "address,list,state,method,consented_at,confirmed_at,source,ip,policy_version")),
        ("optinctl.1", r"^verdict=allow\|deny list=LIST", "output", ("tools/optinctl/main.c", "verdict=%s list=%s address=%s method=%s consent_time=%s")),
        ("optinctl.1", r"^sudo -u optin optinctl init", "man-run", ""),
        ("optinctl.1", r"^\$ cat consents\.csv", "transcript", ""),
        ("optinctl.1", r"^code=\$\(optinctl -s web-form", "man-run", ""),
        ("optinctl.1", r"^optinctl -s ticket-4711", "man-run", ""),
        ("optinctl.1", r"^optinctl check offers \"\$rcpt\"", "man-run",
         "set +e\nrcpt=alice@example.org\nsend_offer() { echo \"offer sent to $1\"; }\n"),
        ("optinctl.1", r"^\$ optinctl check -v news Eve", "transcript",
         "sed -i 's/id = \"news\";/id = \"news\"; max_consent_age = \"730d\";/' /etc/optin-milter.conf\n"
         "printf 'address,list,consented_at,confirmed_at,method,state\\neve@example.org,news,2022-02-01T10:00:00Z,"
         "2022-02-01T10:00:00Z,double,confirmed\\n' | optinctl import - 2> /dev/null\n"),
        ("optinctl.1", r"^optinctl show --json frank", "man-run", "optinctl subscribe --single offers frank@example.com > /dev/null\n"),
        ("optinctl.1", r"^install -d -o optin -g optin -m 0700 /var/backups/optin", "man-run", ""),
        ("optinctl.1", r"^17 3 \* \* \*", "cron", None),
        # optin-unsubd(8)
        ("optin-unsubd.8", r"^client=198\.51\.100\.7 method=POST", "output", ("tools/optin-unsubd/http.c", "client=%s method=%s path=%s status=%d outcome=%s")),
    ]


def opendkim_ok(text, name):
    d = tempfile.mkdtemp(dir=TMP)
    run(["opendkim-genkey", "-D", d, "-d", "lists.example", "-s", "sel"])
    conf = os.path.join(d, "opendkim.conf")
    open(conf, "w").write("Domain lists.example\nSelector sel\nKeyFile %s/sel.private\nRequireSafeKeys false\n"
                          "Socket inet:8891@localhost\n%s" % (d, text))
    if shutil.which("opendkim") is None:
        return skip("%s: opendkim accepts it" % name, "opendkim is not installed")
    rc, out = run(["opendkim", "-n", "-x", conf])
    ok(rc == 0 and not out.strip(), "%s: opendkim -n accepts the lines" % name, out)


def journal_json_ok(text, name):
    try:
        obj = json.loads(" ".join(text.split("\n")))
    except ValueError as e:
        return ok(False, "%s: the journal line is JSON" % name, str(e))
    doc = open(os.path.join(SRC, "milter/optin-milter.8.in"), encoding="utf-8").read()
    documented = set(re.findall(r"^\.B ([a-z_]+)$", doc, re.M))
    missing = [k for k in obj if k not in documented]
    ok(not missing, "%s: a JSON line whose members are documented in THE JOURNAL" % name, "undocumented: %s" % missing)


def nginx_ok(text, name):
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        return skip("%s: nginx -t accepts it" % name, "nginx is not installed (tests/setup-debian.sh installs nginx-light)")
    site = first_line(text).split()[1]
    certs = re.findall(r"ssl_certificate(?:_key)?\s+(\S+);", text)
    script = "mkdir -p %s\n" % " ".join(sorted({os.path.dirname(c) for c in certs}))
    script += ("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=unsubscribe.lists.example "
               "-keyout %s -out %s > /dev/null 2>&1\n" % (certs[1], certs[0]))
    script += "cat > %s <<'EOF'\n%sEOF\nln -sf %s /etc/nginx/sites-enabled/\nnginx -t\n" % (site, text, site)
    rc, out = sandbox(script, name)
    ok(rc == 0 and "test is successful" in out, "%s: nginx -t accepts the site (sandbox, certificates made for it)" % name, out)


def transport_ok(text, name):
    d = postfix_dir()
    path = os.path.join(d, os.path.basename(first_line(text).split()[1]))
    open(path, "w").write(text)
    want = {"unsubscribe@lists.example": "optin-mailto:", "unsubscribe+TOKEN@lists.example": "optin-mailto:",
            "bounce+tag@lists.example": "optin-feedback:", "fbl@lists.example": "optin-feedback:",
            "someone@lists.example": ""}
    got = {a: run(["postmap", "-c", d, "-q", a, "regexp:" + path])[1].strip() for a in want}
    ok(got == want, "%s: the regexp table routes each address as the README says (postmap -q)" % name,
       "got %s" % got)


def spfzone_ok(text, name):
    d = tempfile.mkdtemp(dir=TMP)
    zone = os.path.join(d, "zone")
    open(zone, "w").write(text)
    conf = os.path.join(d, "conf")
    open(conf, "w").write(BASE_CONF % {"t": d} + 'egress_ips = [ "192.0.2.25" ];\nlists = ( { id = "news"; } );\n')
    env = dict(os.environ, OPTIN_SPF_ZONE_FILE=zone)
    p = subprocess.Popen([os.path.join(BUILD, "milter/optin-milter"), "-f", "-c", conf, "-p", "unix:" + d + "/s"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    try:
        out, _ = p.communicate(timeout=2)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate()
        rc = 0
    ok(rc == 0 and "test zone" in out and "SPF:" in out and "line" not in out.split("test zone")[0],
       "%s: the test zone loads (OPTIN_SPF_ZONE_FILE)" % name, out)


def logrotate_man_ok(text, name):
    installed = open(os.path.join(BUILD, "milter/logrotate.d/optin-milter")).read()
    a = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    b = [l for l in installed.splitlines() if l.strip() and not l.startswith("#")]
    ok(a == b, "%s: the logrotate file is the one make install puts there" % name, "\n".join(a + ["---"] + b))


def main():
    global BUILD
    if can_sandbox():       # the README's build first: its man pages are the installed ones
        BUILD = build_from_readme() or BUILD
    blocks = readme_blocks() + man_blocks()
    PIPE_MASTER.extend(t for w, l, t in blocks if first_line(t) == "# master.cf" and "pipe" in t)
    rules = rule_table()
    claimed, walk = {}, {}
    for where, lang, text in blocks:
        src = where.split(":")[0].replace(".md", "")
        src = "README" if src == "README" else src
        hits = [r for r in rules if r[0] == src and re.search(r[1], first_line(text))]
        if not ok(len(hits) == 1, "%s is claimed by one rule (%s)" % (where, first_line(text)[:60]),
                  "%d rules match" % len(hits)):
            continue
        claimed[where] = hits[0]
        kind, arg = hits[0][2], hits[0][3]
        if kind == "walk":
            walk[arg] = (where, lang, text)
        elif kind == "config":
            config_loads(text, where)
        elif kind == "postfix":
            postfix_ok(text, where)
        elif kind == "output":
            body = open(os.path.join(SRC, arg[0]), encoding="utf-8").read()
            ok(arg[1] in body, "%s: printed by %s (%r)" % (where, arg[0], arg[1]))
        elif kind == "covered":
            covered(text, where, arg[0], arg[1])
        elif kind == "opendkim":
            opendkim_ok(text, where)
        elif kind == "journal-json":
            journal_json_ok(text, where)
        elif kind == "nginx":
            nginx_ok(text, where) if can_sandbox() else skip(where, "no sandbox")
        elif kind == "transport":
            transport_ok(text, where)
        elif kind == "spfzone":
            spfzone_ok(text, where)
        elif kind == "logrotate-man":
            logrotate_man_ok(text, where)
        elif kind in ("man-run", "transcript", "cron"):
            walk.setdefault("man-lines", []).append((where, kind, arg, text))
        elif kind == "top":
            top_ok(text, where)
        elif kind == "debian":
            debian_ok(text, where)
        elif kind == "sendmail-man":
            readme = [l for l in open(os.path.join(SRC, "README.md"), encoding="utf-8")
                      if l.startswith(("INPUT_MAIL_FILTER(", "DAEMON_OPTIONS("))]
            mine = re.sub(r"\s+", "", text)     # the man page folds the long line
            ok(all(re.sub(r"\s+", "", l) in mine for l in readme), "%s: the same Sendmail lines as the README's, which "
               "tests/integration/sendmail_real.sh runs" % where, mine)
    if not can_sandbox():
        skip("the README's setup, run as written", "not root, or no overlay file system: the sandbox cannot run")
    else:
        missing = [k for k in ("build", "permissions", "postfix-dir", "postfix-main", "n-output", "logrotate",
                               "unit-excerpt", "templates-html") if k not in walk]
        if ok(not missing, "the walkthrough's blocks are all in the README", "missing: %s" % missing):
            walkthrough(walk)
            for where, kind, arg, text in walk.get("man-lines", []):
                man_run(where, kind, arg, text)
        reconfigure_rebuilds()
    print("1..%d" % n)
    shutil.rmtree(TMP, ignore_errors=True)


def man_run(where, kind, prepare, text):
    """a man page example after the README's setup: run, a transcript compared, a crontab line"""
    if kind == "man-run":
        rc, out = sandbox("cp /etc/optin-milter.conf /tmp-conf.keep\n%s%s\nrc=$?\n"
                          "mv /tmp-conf.keep /etc/optin-milter.conf\nexit $rc\n" % (prepare, text), where)
        return ok(rc == 0, "%s: runs as written (sandbox, after the README's setup)" % where, out)
    if kind == "cron":
        fields = text.strip().split(None, 6)
        cmd = fields[6].replace("\\%", "%")
        rc, out = sandbox("runuser -u %s -- sh -c '%s'\nls /var/backups/optin | grep -q .\n" % (fields[5], cmd), where)
        return ok(len(fields) == 7 and rc == 0, "%s: the crontab line's command runs as %s (sandbox)" % (where, fields[5]), out)
    # transcript: "$ command" lines, the lines after each what it prints; "$ cat FILE" shows a file
    steps, script = [], prepare
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append([line[2:], []])
        elif steps:
            steps[-1][1].append(line)
    script += "set +e\n"     # a transcript shows commands that may say no (check: exit 1)
    for i, (cmd, want) in enumerate(steps):
        if cmd.startswith("cat "):
            script += "cat > %s <<'EOF'\n%s\nEOF\n" % (cmd.split()[1], "\n".join(want))
        script += "echo '--- step %d'\n%s 2>&1\n" % (i, cmd)
    rc, out = sandbox("cp /etc/optin-milter.conf /tmp-conf.keep\n" + script +
                      "\nmv /tmp-conf.keep /etc/optin-milter.conf\n", where)
    parts = re.split(r"^--- step \d+\n", out, flags=re.M)[1:]
    good = rc == 0 and len(parts) == len(steps)
    for (cmd, want), got in zip(steps, parts):
        if want and " ".join(" ".join(want).split()) not in " ".join(got.split()):
            good = False
    ok(good, "%s: each command prints what the example shows (sandbox)" % where, out)


def reconfigure_rebuilds():
    """configure again with other paths on the built tree: make rebuilds what compiled them in"""
    clone = os.path.join(TMP, "src")
    if BUILD != clone:
        return
    rc, out = run("./configure -q --prefix=/usr --sysconfdir=/opt/optin-reconfigured --localstatedir=/var "
                  "> reconf.log 2>&1 && make > remake.log 2>&1 || { tail -20 reconf.log remake.log; exit 1; }",
                  cwd=clone)
    helps = [run([os.path.join(clone, p), "--help"])[1] for p in
             ("milter/optin-milter", "tools/optinctl/optinctl", "tools/optin-unsubd/optin-unsubd")]
    ok(rc == 0 and all("/opt/optin-reconfigured/optin-milter.conf" in h for h in helps),
       "configure again with another --sysconfdir on the built tree: make rebuilds all three programs "
       "with the new path (policy/paths.h)", out + "".join(helps))


def can_sandbox():
    global CAN_SANDBOX
    if CAN_SANDBOX is None:
        path = os.path.join(TMP, "probe.sh")
        open(path, "w").write("true\n")
        CAN_SANDBOX = run([SANDBOX, os.path.join(TMP, "probe"), path])[0] == 0
    return CAN_SANDBOX


def in_tree(*paths):
    """the files exist: they are in a checkout, not all in the distribution tarball"""
    return all(os.path.exists(os.path.join(SRC, p)) for p in paths)


def top_ok(text, name):
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    if not in_tree(".ci/run"):
        return skip("%s: the test command is the one .ci/run runs" % name, "no .ci/run in a distribution tree")
    ci = open(os.path.join(SRC, ".ci/run")).read()
    ok(len(lines) == 2 and lines[1] in ci, "%s: the test command is the one .ci/run runs, verbatim" % name)
    demo = lines[0].split("&&")[-1].strip()
    built = BUILD == os.path.join(TMP, "src")      # in-tree, as the demo expects
    rc, out = run(demo, cwd=BUILD, timeout=300) if os.geteuid() == 0 and built else (None, "")
    if rc is None:
        return skip("%s: the demo runs" % name, "not root: the demo starts Postfix")
    ok(rc == 0 and "nothing else changed" in out, "%s: the demo (%s) runs to its end and cleans up" % (name, demo), out)


def debian_ok(text, name):
    if not in_tree(".ci/run", "debian/changelog", "tests/debian/install.sh"):
        return skip("%s: the package commands" % name, "no debian/ and .ci/run in a distribution tree")
    ci = open(os.path.join(SRC, ".ci/run")).read()
    inst = open(os.path.join(SRC, "tests/debian/install.sh")).read()
    ok("dpkg-buildpackage -us -uc -b" in text and "dpkg-buildpackage -us -uc -b" in ci and "apt-get install" in inst,
       "%s: dpkg-buildpackage -us -uc -b and apt-get install of the .deb are run by .ci/run and tests/debian/install.sh" % name)
    arch = run(["dpkg", "--print-architecture"])[1].strip()
    ver = re.search(r"^optin-milter \(([^)]+)\)", open(os.path.join(SRC, "debian/changelog")).read()).group(1)
    ok("optin-milter_%s_%s.deb" % (ver, arch) in text.replace("amd64", arch),
       "%s: the .deb's name matches debian/changelog's version" % name)


if __name__ == "__main__":
    main()
