"""Export scale benchmark: time and memory of grade exports at 10,000 and 100,000 learners.

Run with `make bench` (or `python benchmarks/export_scale.py --learners 10000,100000`).
Each measurement runs in a fresh process so its peak memory is its own. Figures are ratios
against peers measured in the same run on the same machine (PRODUCT.md §4):
- CSV time against the sqlite3 command-line dump of the same rows (ceiling 2x);
- XLSX time against bare xlsxwriter constant-memory mode writing the same cells (1.2x);
- memory growth from the smallest to the largest learner count (budget: under 50 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIZZES = 20


def setup_django(db: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def seed(db: Path, learners: int) -> None:
    """Migrate, then insert learners, enrolments and one finished attempt per quiz each."""
    setup_django(db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC).isoformat(" ")
    rng = random.Random(7)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    cur = con.cursor()
    cur.execute(
        "INSERT INTO course_course (slug, title, subtitle, summary, description, is_published,"
        " created_at, updated_at) VALUES ('bench', 'Bench', '', 's', '', 1, ?, ?)", (now, now)
    )
    course = cur.lastrowid
    quiz_ids = []
    for index in range(QUIZZES):
        cur.execute(
            "INSERT INTO quizzes_quiz (course_id, slug, title, description, \"order\", pass_mark,"
            " weight, grading_method, is_published, updated_at, attempt_delay_minutes,"
            " shuffle_questions, shuffle_choices, review_score, review_answers, review_feedback,"
            " requires_checkpoints_passed) VALUES (?, ?, ?, '', ?, 70, 1, 'highest', 1, ?, 0,"
            " 0, 0, 'immediately', 'immediately', 'immediately', 0)",
            (course, f"quiz-{index}", f"Quiz {index}", index, now),
        )
        quiz_ids.append(cur.lastrowid)
    cur.executemany(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,"
        " is_staff, is_active, date_joined) VALUES ('!', 0, ?, ?, ?, ?, 0, 1, ?)",
        ((f"learner{i:06d}", f"First{i}", f"Last{i}", f"l{i}@example.com", now)
         for i in range(learners)),
    )
    first_user = cur.execute("SELECT MIN(id) FROM auth_user").fetchone()[0]
    cur.executemany(
        "INSERT INTO course_enrolment (user_id, course_id, cohort_id, enrolled_at)"
        " VALUES (?, ?, NULL, ?)",
        ((first_user + i, course, now) for i in range(learners)),
    )
    cur.executemany(
        "INSERT INTO quizzes_attempt (user_id, quiz_id, number, state, started_at, finished_at,"
        " percentage, points_earned, points_possible, passed, seed) VALUES"
        " (?, ?, 1, 'finished', ?, ?, ?, 0, 10, 0, 0)",
        ((first_user + i, quiz, now, now, f"{rng.uniform(0, 100):.8f}")
         for i in range(learners) for quiz in quiz_ids),
    )
    con.commit()
    con.close()


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(db: Path, fmt: str) -> dict[str, float]:
    """In this (fresh) process: export once, report seconds and memory growth."""
    setup_django(db)
    from course.models import Course
    from gradebook import exports
    from gradebook.grades import Gradebook

    course = Course.objects.get(slug="bench")
    baseline = max_rss_mb()
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        exports.write_file(out, exports.grades_table(Gradebook(course)), fmt)
    return {"seconds": time.perf_counter() - start, "growth_mb": max_rss_mb() - baseline}


def peer_xlsx(learners: int) -> float:
    """Bare xlsxwriter constant-memory mode writing the same number of cells."""
    import xlsxwriter

    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
        sheet = book.add_worksheet("Grades")
        for row in range(learners + 1):
            for col in range(5):
                sheet.write_string(row, col, f"text{row}")
            for col in range(5, 5 + QUIZZES + 1):
                sheet.write_number(row, col, 55.55)
            sheet.write_number(row, 5 + QUIZZES + 1, 3)
            sheet.write_string(row, 5 + QUIZZES + 2, "2026-01-01T00:00:00Z")
        book.close()
    return time.perf_counter() - start


def peer_sqlite_dump(db: Path) -> float:
    query = (
        "SELECT u.username, u.first_name, u.last_name, u.email, a.quiz_id, a.percentage"
        " FROM course_enrolment e JOIN auth_user u ON u.id = e.user_id"
        " LEFT JOIN quizzes_attempt a ON a.user_id = e.user_id ORDER BY e.user_id;"
    )
    start = time.perf_counter()
    subprocess.run(["sqlite3", "-csv", str(db), query], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def child(db: Path, fmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", fmt, "--db", str(db)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", default="10000,100000")
    parser.add_argument("--measure")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.db), args.measure)))
        return
    sizes = [int(n) for n in args.learners.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            db = Path(folder) / f"bench-{size}.sqlite3"
            started = time.perf_counter()
            seed_in_child(db, size)
            print(f"seeded {size:,} learners x {QUIZZES} quizzes in "
                  f"{time.perf_counter() - started:.1f}s", flush=True)
            row = {fmt: child(db, fmt) for fmt in ("csv", "xlsx", "ods")}
            row["sqlite3_dump"] = {"seconds": peer_sqlite_dump(db)}
            row["xlsxwriter_peer"] = {"seconds": peer_xlsx(size)}
            results[size] = row
            print(f"\n{size:,} learners", flush=True)
            for name, figures in row.items():
                extra = f", memory +{figures['growth_mb']:.1f} MB" if "growth_mb" in figures else ""
                print(f"  {name:16} {figures['seconds']:7.2f}s{extra}")
            csv_ratio = row["csv"]["seconds"] / row["sqlite3_dump"]["seconds"]
            xlsx_ratio = row["xlsx"]["seconds"] / row["xlsxwriter_peer"]["seconds"]
            print(f"  CSV / sqlite3 dump   = {csv_ratio:.2f}x (budget 2x)")
            print(f"  XLSX / xlsxwriter    = {xlsx_ratio:.2f}x (budget 1.2x)")
    if len(sizes) > 1:
        low, high = results[sizes[0]], results[sizes[-1]]
        print(f"\nMemory growth from {sizes[0]:,} to {sizes[-1]:,} learners (budget < 50 MB):")
        for fmt in ("csv", "xlsx", "ods"):
            print(f"  {fmt:5} {high[fmt]['growth_mb'] - low[fmt]['growth_mb']:+.1f} MB;"
                  f" time x{high[fmt]['seconds'] / low[fmt]['seconds']:.1f}"
                  f" for x{sizes[-1] / sizes[0]:.0f} learners")


def seed_in_child(db: Path, size: int) -> None:
    subprocess.run([sys.executable, __file__, "--seed", str(size), "--db", str(db)], check=True)


if __name__ == "__main__":
    if "--seed" in sys.argv:
        db_path = Path(sys.argv[sys.argv.index("--db") + 1])
        seed(db_path, int(sys.argv[sys.argv.index("--seed") + 1]))
    else:
        main()
