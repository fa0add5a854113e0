"""Where intake keeps texts sealed, for `make seal-clear-texts` (chassis/clear_texts.py): each message's
text (`feedback.narrative`), under the data key of its case's reference. Messages stored before
envelope encryption hold it in clear; the command seals them."""
from chassis.clear_texts import SealedColumns
from chassis.envelope import ERASED

# An erased message's text is blanked (services/intake/erasure.py).
PLACES = (SealedColumns("feedback", key="feedback_id", subject="reference", columns={"narrative": ERASED}),)
