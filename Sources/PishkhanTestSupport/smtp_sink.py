"""Loopback SMTP sink for CurlMail tests.

Stores every accepted message as NNNNNN.eml (the DATA bytes exactly as received, after RFC 5321 dot
un-stuffing) plus NNNNNN.json with the envelope. Recipients whose local part starts with "reject" get a
permanent 550, "tempfail" a temporary 451, so tests can check how the client classifies them.

Usage: python3 smtp_sink.py PORT DIRECTORY [--tls CERT KEY] [--auth USER PASSWORD]

With --tls the sink offers STARTTLS and refuses mail before it; with --auth it requires AUTH (PLAIN or
LOGIN, only after STARTTLS when --tls is given) with that user and password.
"""
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class StoringHandler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient rejected by test sink" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            name = "%06d" % self.count
        eml = os.path.join(self.directory, name + ".eml")
        meta = os.path.join(self.directory, name + ".json")
        with open(eml, "wb") as handle:
            handle.write(envelope.original_content)
        with open(meta + ".tmp", "w") as handle:
            json.dump({"mailFrom": envelope.mail_from, "recipients": list(envelope.rcpt_tos)}, handle)
        os.rename(meta + ".tmp", meta)  # the .json appearing marks the message complete
        return "250 2.0.0 stored " + name


def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    options = {}
    args = sys.argv[3:]
    while args:
        if args[0] == "--tls":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(args[1], args[2])
            options.update(tls_context=context, require_starttls=True)
            args = args[3:]
        elif args[0] == "--auth":
            user, password = args[1].encode(), args[2].encode()

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
                return AuthResult(success=ok, handled=False)

            options.update(authenticator=authenticator, auth_required=True, auth_require_tls="tls_context" in options)
            args = args[3:]
        else:
            raise SystemExit("unknown option " + args[0])
    controller = Controller(StoringHandler(directory), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("READY", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
