"""Jinja filters, tests and derived values shared by copier.yml and every template file."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from copier_template_extensions import ContextHook
from jinja2 import Environment
from jinja2.ext import Extension

SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
SLUG_MAX_LENGTH = 40
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def slugify(value: str) -> str:
    """Turn a human name into a slug: 'Billing API (v2)' -> 'billing-api-v2'."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_value.lower()).strip("-")
    slug = slug[:SLUG_MAX_LENGTH].rstrip("-")
    return slug if slug and slug[0].isalpha() else f"svc-{slug}".rstrip("-")


def is_slug(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= SLUG_MAX_LENGTH and bool(SLUG.match(value))


def is_email(value: Any) -> bool:
    return isinstance(value, str) and bool(EMAIL.match(value))


def is_domain(value: Any) -> bool:
    return isinstance(value, str) and bool(DOMAIN.match(value))


def is_github_owner(value: Any) -> bool:
    return isinstance(value, str) and bool(GITHUB_OWNER.match(value))


class Filters(Extension):
    """Registers the filters and tests that copier.yml validators and defaults use."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["slugify"] = slugify
        environment.tests["valid_slug"] = is_slug
        environment.tests["valid_email"] = is_email
        environment.tests["valid_domain"] = is_domain
        environment.tests["valid_github_owner"] = is_github_owner


class DerivedValues(ContextHook):
    """Computes, once, the values that several files derive from the answers.

    The hook also runs while question defaults render, before every answer exists,
    so it reads with .get() and only adds what it can compute.
    """

    def hook(self, context: dict[str, Any]) -> None:
        slug = context.get("project_slug")
        owner = context.get("github_owner")
        if not isinstance(slug, str) or not isinstance(owner, str):
            return
        image_repository = f"ghcr.io/{owner.lower()}/{slug}"
        context["image_repository"] = image_repository
        context["backend_image"] = f"{image_repository}/backend"
        context["frontend_image"] = f"{image_repository}/frontend"
        # The folders that build an image each, in build order.
        context["components"] = (
            ["backend", "frontend"] if context.get("include_frontend") else ["backend"]
        )
        context["supabase_project_id"] = slug
