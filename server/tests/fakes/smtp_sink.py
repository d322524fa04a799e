"""A real SMTP server for the tests (aiosmtpd): accepts mail on 127.0.0.1 and prints each message
as one JSON line on stdout, after a first line `READY <port>`.

Addresses whose local part starts with `bounce` are refused for good at RCPT (550), those
starting with `later` for now (451), so that the tests see how senders treat each. With
`--user NAME --password SECRET` the server asks for AUTH (PLAIN/LOGIN, allowed without TLS
because it only listens on loopback).

Usage: python3 smtp_sink.py [--port N] [--user NAME --password SECRET]
"""

import argparse
import email
import email.policy
import json
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("later"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        print(
            json.dumps(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "login": (session.auth_data.login.decode() if session.auth_data else None),
                    "from": str(message["From"]),
                    "reply_to": str(message["Reply-To"]) if message["Reply-To"] else None,
                    "subject": str(message["Subject"]),
                    "text": text.get_content() if text else None,
                    "html": html.get_content() if html else None,
                }
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


def main():
    warnings.simplefilter("ignore")  # AUTH without TLS: on loopback, for tests only
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
        return AuthResult(success=ok, auth_data=auth_data)

    auth = {}
    if args.user:
        auth = dict(authenticator=authenticate, auth_required=True, auth_require_tls=False)
    port = args.port
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, **auth)
    controller.start()
    print(f"READY {port}", flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin (or dies)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
