"""All of cases' SQL."""

CASE_COLUMNS = ("case_id", "reference", "feedback_id", "country", "channel", "language", "narrative",
                "received_at", "opened_at", "status", "category_code", "sensitive", "restricted",
                "sensitivity_reasons", "priority", "deadline_kind", "deadline_at", "contact_ref",
                "consent_callback", "consent_share")


def insert_case(conn, case: dict) -> bool:
    """Insert a case; False when this feedback already has one."""
    columns = ", ".join(CASE_COLUMNS)
    placeholders = ", ".join(["%s"] * len(CASE_COLUMNS))
    return conn.execute(
        f"INSERT INTO cases ({columns}) VALUES ({placeholders}) ON CONFLICT (feedback_id) DO NOTHING",
        [case[column] for column in CASE_COLUMNS]).rowcount == 1


def find_case(conn, reference: str) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE reference = %s", [reference]).fetchone()
    return dict(zip(CASE_COLUMNS, row)) if row else None
