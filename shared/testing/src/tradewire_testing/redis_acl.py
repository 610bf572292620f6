"""The ACL file deploy/redis/users.acl.example (or users.cluster.acl.example) describes, filled in for a
test: fresh passwords for each service user (given to Redis as SHA-256, as the docs say to), and the
trader's bot id in its key and channel names."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

# "the trader's password", and in the cluster's file "the cluster password" (replication and joining).
_PLACEHOLDER = re.compile(r"#<sha256 of the (\w+)(?:'s)? password>")


@dataclass(frozen=True)
class ServiceUsers:
    acl: str  # the file's lines, default user included
    passwords: dict[str, str]  # service user -> its password

    def url(self, user: str, host: str = "127.0.0.1", port: int = 6379) -> str:
        return f"redis://{user}:{self.passwords[user]}@{host}:{port}/0"


def service_users(example: Path, bot_id: str) -> ServiceUsers:
    text = example.read_text()
    passwords = {user: secrets.token_hex(16) for user in _PLACEHOLDER.findall(text)}

    def hashed(match: re.Match[str]) -> str:
        return "#" + hashlib.sha256(passwords[match.group(1)].encode()).hexdigest()

    text = _PLACEHOLDER.sub(hashed, text)
    text = text.replace("tw:bot:{demo}:", f"tw:bot:{{{bot_id}}}:")
    text = text.replace("&tw:events:demo ", f"&tw:events:{bot_id} ").replace(
        "&tw:commands:demo ", f"&tw:commands:{bot_id} "
    )
    # The cluster's names keep the bot in a hash tag: &tw:events:{demo}, &tw:commands:{demo}.
    text = text.replace(":{demo} ", f":{{{bot_id}}} ")
    return ServiceUsers(acl=text, passwords=passwords)
