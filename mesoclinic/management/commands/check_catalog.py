from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.catalog import CatalogError, load_catalog


class Command(BaseCommand):
    help = "Load and validate the knowledge catalog; fails naming the broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="catalog data folder (default: the built-in one)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            catalog = load_catalog(Path(options["dir"]) if options["dir"] else None)
        except CatalogError as exc:
            raise CommandError(f"Catalog invalid: {exc}") from exc
        counts = ", ".join(
            f"{len(getattr(catalog, name))} {name.replace('_', ' ')}"
            for name in (
                "indications",
                "areas",
                "actives",
                "protocols",
                "contraindications",
                "medicines",
                "side_effects",
                "aftercare",
                "sources",
            )
        )
        self.stdout.write(self.style.SUCCESS(f"Catalog valid: {counts}."))
