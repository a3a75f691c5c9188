"""WS-Management envelopes as a Windows host writes them, for :mod:`tests.helpers.wsman`.

The shapes follow the recordings of a real Windows host in shared/fixtures/winrm (pypsrp's responses) and
pywinrm's fault fixtures; identifiers are fresh upper-case UUIDs as WinRM sends them.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from xml.sax.saxutils import escape

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
_ENVELOPE = (
    '<s:Envelope xml:lang="en-US" xmlns:s="{s}" xmlns:a="{a}" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
    'xmlns:w="{w}" xmlns:rsp="{rsp}" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
).format(**NS)


def fault(reason: str, code: int = 2150858843, machine: str = "WIN-P4SIAA0SQCO") -> bytes:
    """A WS-Management SOAP fault body (what WinRM sends with HTTP 500)."""
    return (
        f"{_ENVELOPE}<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>"
        f"<a:MessageID>uuid:{uuid.uuid4()}</a:MessageID><a:To>{ANONYMOUS}</a:To></s:Header><s:Body><s:Fault>"
        "<s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(reason)}</s:Text></s:Reason><s:Detail>'
        f'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}" '
        f'Machine="{machine}"><f:Message>{escape(reason)}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body>'
        "</s:Envelope>"
    ).encode()


def decode_encoded_command(arguments: list[str]) -> str | None:
    lowered = [a.lower() for a in arguments]
    for flag in ("-encodedcommand", "-enc", "-e"):
        if flag in lowered and lowered.index(flag) + 1 < len(arguments):
            try:
                return base64.b64decode(arguments[lowered.index(flag) + 1], validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                return None
    return None


def reply(action: str, relates_to: str, body: str) -> bytes:
    return (
        f"{_ENVELOPE}<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{str(uuid.uuid4()).upper()}"
        f"</a:MessageID><p:ActivityId>{str(uuid.uuid4()).upper()}</p:ActivityId><a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{relates_to}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def created(message_id: str, address: str, shell_id: str, owner: str) -> bytes:
    body = (
        f"<x:ResourceCreated><a:Address>{address}</a:Address><a:ReferenceParameters>"
        f'<w:ResourceURI>{SHELL}/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">{shell_id}'
        f'</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell xmlns:rsp="{SHELL}">'
        f"<rsp:ShellId>{shell_id}</rsp:ShellId><rsp:ResourceUri>{SHELL}/cmd</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
        "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>"
        "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )
    return reply(f"{TRANSFER}/CreateResponse", message_id, body)


def received(message_id: str, command_id: str, stdout: list[bytes], done: tuple[bytes, int] | None) -> bytes:
    """A ReceiveResponse with ``stdout`` chunks; ``done`` is (stderr, exit code) once the command has ended."""
    streams = "".join(
        f'<rsp:Stream Name="stdout" CommandId="{command_id}">{base64.b64encode(c).decode()}</rsp:Stream>'
        for c in stdout
    )
    if done is None:
        streams += f'<rsp:CommandState CommandId="{command_id}" State="{SHELL}/CommandState/Running"/>'
    else:
        stderr, exit_code = done
        if stderr:
            streams += (
                f'<rsp:Stream Name="stderr" CommandId="{command_id}">{base64.b64encode(stderr).decode()}</rsp:Stream>'
            )
        streams += (
            f'<rsp:Stream Name="stdout" CommandId="{command_id}" End="true"></rsp:Stream>'
            f'<rsp:Stream Name="stderr" CommandId="{command_id}" End="true"></rsp:Stream>'
            f'<rsp:CommandState CommandId="{command_id}" State="{SHELL}/CommandState/Done">'
            f"<rsp:ExitCode>{exit_code}</rsp:ExitCode></rsp:CommandState>"
        )
    return reply(f"{SHELL}/ReceiveResponse", message_id, f"<rsp:ReceiveResponse>{streams}</rsp:ReceiveResponse>")
