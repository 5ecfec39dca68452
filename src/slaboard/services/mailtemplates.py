"""The wording of the mail slaboard writes, as templates an MSP can change.

The built-in templates are in slaboard/templates/mail; a folder named by
``templates`` in the [mail] settings overrides them file by file. They are Jinja
templates in a sandbox (a template can format what it is given, never reach into
slaboard), plain text, with every name it uses required: a misspelt name is an
error naming the file and line, not a blank in a customer's mail.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from slaboard.services.tickets import ServiceError

BUILT_IN = Path(__file__).resolve().parent.parent / "templates" / "mail"
TEMPLATES = ("acknowledgement.txt", "notice.txt")


class TemplateError(ServiceError):
    """A template that cannot be read or used (one line: the file, the line, why)."""


@lru_cache(maxsize=8)
def environment(folder: str | Path | None) -> jinja2.Environment:
    folders = [str(Path(folder).expanduser())] if folder else []
    return jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([*folders, str(BUILT_IN)]),
        undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
    )


def render_text(folder: str | Path | None, name: str, context: dict[str, Any]) -> str:
    try:
        return environment(folder).get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(f"mail template {err.filename or name}, line {err.lineno}: {err.message}") from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"mail template {name} is missing") from None
    except (jinja2.TemplateError, OSError, UnicodeDecodeError) as err:
        raise TemplateError(f"mail template {name}: {err}") from None


def render_mail(folder: str | Path | None, name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject (the template's first line, 'Subject: ...') and the text."""
    text = render_text(folder, name, context).strip("\n")
    first, _, rest = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise TemplateError(f"mail template {name} must begin with a line 'Subject: ...'")
    subject = " ".join(first[len("subject:"):].split())
    if not subject:
        raise TemplateError(f"mail template {name} gives an empty subject")
    return subject, rest.strip("\n") + "\n"
