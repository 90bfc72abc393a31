"""A small IMAP4rev1 server on loopback, enough for the support mailbox reader: LOGIN, SELECT,
UID SEARCH UNSEEN, UID FETCH (RFC822.SIZE, BODY.PEEK[], BODY.PEEK[HEADER]), UID STORE +FLAGS,
LOGOUT. It holds one folder of messages with their flags, and records the commands it was sent."""

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class ImapStandin:
    def __init__(self, *, user: str = "support", password: str = "s3cret pass", folder: str = "INBOX"):
        self.user, self.password, self.folder = user, password, folder
        self.messages: list[StoredMessage] = []
        self.commands: list[str] = []
        self._next_uid = 101

    def add(self, raw: bytes, *, seen: bool = False) -> StoredMessage:
        stored = StoredMessage(self._next_uid, raw, {"\\Seen"} if seen else set())
        self._next_uid += 1
        self.messages.append(stored)
        return stored

    def start(self) -> "ImapStandin":
        standin = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                standin._serve(self.rfile, self.wfile)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # The protocol

    def _serve(self, rfile, wfile) -> None:
        wfile.write(b"* OK IMAP4rev1 stand-in ready\r\n")
        selected = False
        while line := rfile.readline():
            text = line.decode().rstrip("\r\n")
            tag, _, rest = text.partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            self.commands.append(f"{command} {args}".strip() if command != "LOGIN" else "LOGIN")
            if command == "CAPABILITY":
                wfile.write(b"* CAPABILITY IMAP4rev1\r\n" + f"{tag} OK CAPABILITY done\r\n".encode())
            elif command == "LOGIN":
                user, password = _arguments(args)
                if (user, password) == (self.user, self.password):
                    wfile.write(f"{tag} OK LOGIN done\r\n".encode())
                else:
                    wfile.write(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode())
            elif command == "SELECT":
                if _arguments(args)[0] != self.folder:
                    wfile.write(f"{tag} NO no such folder\r\n".encode())
                    continue
                selected = True
                wfile.write(f"* {len(self.messages)} EXISTS\r\n* FLAGS (\\Seen)\r\n".encode())
                wfile.write(f"{tag} OK [READ-WRITE] SELECT done\r\n".encode())
            elif command == "UID" and selected:
                self._uid(tag, args, wfile)
            elif command == "LOGOUT":
                wfile.write(b"* BYE\r\n" + f"{tag} OK LOGOUT done\r\n".encode())
                return
            else:
                wfile.write(f"{tag} BAD {command} not understood here\r\n".encode())

    def _uid(self, tag: str, args: str, wfile) -> None:
        verb, _, rest = args.partition(" ")
        verb = verb.upper()
        if verb == "SEARCH":
            unseen = [str(m.uid) for m in self.messages if "\\Seen" not in m.flags]
            wfile.write(f"* SEARCH {' '.join(unseen)}\r\n".rstrip().encode() + b"\r\n")
            wfile.write(f"{tag} OK SEARCH done\r\n".encode())
            return
        uid_text, _, what = rest.partition(" ")
        found = next((m for m in self.messages if str(m.uid) == uid_text), None)
        if found is None:
            wfile.write(f"{tag} OK nothing\r\n".encode())
            return
        number = self.messages.index(found) + 1
        if verb == "FETCH":
            what = what.upper()
            if "RFC822.SIZE" in what:
                wfile.write(f"* {number} FETCH (UID {found.uid} RFC822.SIZE {len(found.raw)})\r\n".encode())
            else:
                body = found.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" if "HEADER" in what else found.raw
                label = "BODY[HEADER]" if "HEADER" in what else "BODY[]"
                wfile.write(f"* {number} FETCH (UID {found.uid} {label} {{{len(body)}}}\r\n".encode() + body + b")\r\n")
            wfile.write(f"{tag} OK FETCH done\r\n".encode())
        elif verb == "STORE":
            found.flags |= set(re.findall(r"\\\w+", what))
            flags = " ".join(sorted(found.flags))
            wfile.write(f"* {number} FETCH (UID {found.uid} FLAGS ({flags}))\r\n{tag} OK STORE done\r\n".encode())
        else:
            wfile.write(f"{tag} BAD UID {verb} not understood here\r\n".encode())


def _arguments(args: str) -> list[str]:
    """IMAP atoms and quoted strings."""
    return [
        quoted.replace('\\"', '"') if quoted else atom
        for quoted, atom in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', args)
    ]
