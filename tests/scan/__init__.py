"""TF1-style sample files for the scanner's tests: the fixtures, and the two scripts that also
serve as templates of the scan benchmark (shipped with the package, so kept there)."""

from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scan"
TEMPLATES = Path(__file__).parents[2] / "tools" / "bench" / "templates"
SAMPLES = {
    path.name: path
    for path in (
        *FIXTURES.glob("*.py"),
        TEMPLATES / "aliased_imports.py",
        TEMPLATES / "keras2_model.py",
    )
}
