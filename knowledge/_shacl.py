"""SHACL validation of case records (pyshacl): every violation, or none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nesy.errors import InputError, KnowledgeError

__all__ = ["ShaclViolation", "ShapeValidator"]

_SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True)
class ShaclViolation:
    """One failed constraint: the focus node, the property path and the shape's message."""

    focus: str
    path: str | None
    message: str
    severity: str

    def __str__(self) -> str:
        where = f"{self.focus} {self.path}" if self.path else self.focus
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"focus": self.focus, "path": self.path, "message": self.message,
                "severity": self.severity}


class ShapeValidator:
    """SHACL shapes read once, applied to many records.

    :meth:`check` raises :class:`InputError` listing every violation (its
    ``.violations``); :meth:`violations` returns them.
    """

    def __init__(self, shapes: str | Path, format: str = "turtle") -> None:
        import rdflib

        self.shapes = rdflib.Graph()
        try:
            if isinstance(shapes, Path) or (isinstance(shapes, str) and "\n" not in shapes
                                            and Path(shapes).is_file()):
                self.shapes.parse(str(shapes), format=format)
            else:
                self.shapes.parse(data=shapes, format=format)
        except Exception as exc:
            raise KnowledgeError(f"cannot read the SHACL shapes {_name(shapes)}: {exc}") from exc

    def violations(self, record: Any, ontology: Any = None) -> list[ShaclViolation]:
        """Violations of an ``rdflib.Graph`` record (or Turtle text), with an optional ontology."""
        import rdflib
        from pyshacl import validate

        data = record
        if isinstance(record, str):
            data = rdflib.Graph()
            try:
                data.parse(data=record, format="turtle")
            except Exception as exc:
                raise InputError(f"the record is not valid Turtle: {exc}", field="record") \
                    from exc
        from pyshacl.errors import ReportableRuntimeError

        try:
            _, report, _ = validate(data, shacl_graph=self.shapes, ont_graph=ontology,
                                    inference="rdfs" if ontology is not None else "none",
                                    allow_warnings=True)
        except ReportableRuntimeError as exc:  # shapes that parse but are not valid SHACL
            raise KnowledgeError(f"the SHACL shapes cannot be applied: {exc}") from exc
        # a record with only warnings conforms (allow_warnings), and they are still listed
        found = []
        sh = rdflib.Namespace(_SH)
        for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
            focus = report.value(result, sh.focusNode)
            path = report.value(result, sh.resultPath)
            message = report.value(result, sh.resultMessage)
            severity = report.value(result, sh.resultSeverity)
            found.append(ShaclViolation(
                str(focus), str(path) if path is not None else None,
                str(message) if message is not None else "violates a shape",
                str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"))
        return sorted(found, key=lambda v: (v.focus, v.path or "", v.message))

    def check(self, record: Any, ontology: Any = None) -> None:
        """Raise :class:`InputError` naming every violation of the record."""
        found = self.violations(record, ontology)
        errors = [v for v in found if v.severity == "Violation"]
        if errors:
            error = InputError(f"the record violates its shapes: "
                               f"{'; '.join(str(v) for v in errors)}", field="record")
            error.violations = errors  # type: ignore[attr-defined]
            raise error


def _name(shapes: str | Path) -> str:
    return str(shapes) if isinstance(shapes, Path) or "\n" not in str(shapes) else "(text)"
