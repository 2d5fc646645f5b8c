"""Events, people, creators and items: validation, idempotent ingestion, importers, rejects."""

from mindshare.events._entities import get_creator, get_item, get_person
from mindshare.events._importers import REQUIRED_COLUMNS, FileFormat, detect_format, read_records
from mindshare.events._ingest import (
    BULK_BATCH_SIZE,
    MAX_PROBLEMS_IN_REPORT,
    BatchHook,
    Progress,
    Record,
    ingest_creators,
    ingest_events,
    ingest_items,
    ingest_people,
)
from mindshare.events._recbole import (
    RecboleFiles,
    find_recbole_files,
    read_atomic_rows,
    recbole_creators,
    recbole_events,
    recbole_items,
    recbole_people,
)
from mindshare.events._records import (
    ITEM_EVENT_TYPES,
    AcceptedView,
    Event,
    EventType,
    IngestReport,
    Problem,
    RecordKind,
    Rule,
    SourceRecord,
)
from mindshare.events._rejected import RejectedRecord, list_rejected, rejections_by_rule
from mindshare.events._validate import Limits, validate_event
from mindshare.events._worlds import create_world, get_world, list_worlds

__all__ = [
    "BULK_BATCH_SIZE",
    "ITEM_EVENT_TYPES",
    "MAX_PROBLEMS_IN_REPORT",
    "REQUIRED_COLUMNS",
    "AcceptedView",
    "BatchHook",
    "Event",
    "EventType",
    "FileFormat",
    "IngestReport",
    "Limits",
    "Problem",
    "Progress",
    "RecboleFiles",
    "Record",
    "RecordKind",
    "RejectedRecord",
    "Rule",
    "SourceRecord",
    "create_world",
    "detect_format",
    "find_recbole_files",
    "get_creator",
    "get_item",
    "get_person",
    "get_world",
    "ingest_creators",
    "ingest_events",
    "ingest_items",
    "ingest_people",
    "list_rejected",
    "list_worlds",
    "read_atomic_rows",
    "read_records",
    "recbole_creators",
    "recbole_events",
    "recbole_items",
    "recbole_people",
    "rejections_by_rule",
    "validate_event",
]
