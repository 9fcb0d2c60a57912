"""Every problem the plan validator reports: a stable code, an English message (the msgid, translated
in i18n/zh_CN/plans.po) and whether it fails validation. docs/plan-format.md lists every code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    code: str
    msgid: str
    severity: Severity = "error"


# Reading the file.
NOT_A_FILE = Rule("not_a_file", 'Cannot read "{file}": {reason}.')
YAML_SYNTAX = Rule("yaml_syntax", "YAML syntax error: {problem}.")
EMPTY_PLAN = Rule("empty_plan", "The plan is empty.")
NOT_A_MAPPING = Rule("not_a_mapping", "The plan must be a mapping of keys (format_version, event, teams …).")
DUPLICATE_KEY = Rule(
    "duplicate_key", 'Key "{key}" appears twice in this mapping (first at line {first_line}).'
)
RECURSIVE_ALIAS = Rule("recursive_alias", "A YAML alias refers to itself.")
PLAN_TOO_LARGE = Rule("plan_too_large", "The plan is larger than {limit} bytes.")
NESTING_TOO_DEEP = Rule("nesting_too_deep", "The plan nests deeper than {limit} levels here.")
ALIAS_EXPANSION = Rule(
    "alias_expansion_too_large",
    "YAML aliases here repeat more of the plan than a plan may ({limit} values, {characters} characters); "
    "write the repeated parts out, or use fewer aliases.",
)
CONTROL_CHARACTER = Rule(
    "control_character", "Control character U+{code} is not allowed in a plan; remove it."
)
COMPLEX_KEY = Rule("complex_key", "A key must be a plain value, not a list or a mapping.")

# YAML syntax errors, by PyYAML's problem (plans.loader); YAML_SYNTAX above is the fallback.
YAML_TAB_INDENT = Rule("yaml_syntax", "Line {line} is indented with a tab; YAML indents with spaces only.")
YAML_MISSING_COLON = Rule(
    "yaml_syntax",
    'This line is not a "key: value" pair: the ":" after the key is missing, or the text needs quotes.',
)
YAML_UNCLOSED_QUOTE = Rule(
    "yaml_syntax", "The quoted text that starts here is never closed; add its closing quote."
)
YAML_UNCLOSED_LIST = Rule(
    "yaml_syntax", 'A list in square brackets is not closed: a "]" or a "," is missing here.'
)
YAML_UNCLOSED_MAPPING = Rule(
    "yaml_syntax", 'A mapping in curly braces is not closed: a closing brace or a "," is missing here.'
)
YAML_BAD_INDENT = Rule(
    "yaml_syntax",
    "This line is indented differently from the lines above it: "
    "the keys of one mapping, and the items of one list, start at the same column.",
)
YAML_EXPECTED_ITEM = Rule(
    "yaml_syntax",
    'A list item is expected on this line: every item of a list starts with "- " at one column.',
)
YAML_COLON_IN_VALUE = Rule(
    "yaml_syntax", 'A ": " cannot stand in an unquoted value here; put the whole value in quotes.'
)
YAML_BAD_CHARACTER = Rule(
    "yaml_syntax", 'The character "{character}" cannot start a value; put the value in quotes.'
)
YAML_BAD_ESCAPE = Rule(
    "yaml_syntax",
    "Unknown backslash escape in double-quoted text; use single quotes, or write the backslash twice.",
)
YAML_UNDEFINED_ALIAS = Rule("yaml_syntax", "This alias (*name) refers to no anchor (&name) defined above it.")
YAML_DUPLICATE_ANCHOR = Rule(
    "yaml_syntax", "This anchor's name is already taken by an anchor above; give each anchor its own name."
)
YAML_SEVERAL_DOCUMENTS = Rule(
    "yaml_syntax", 'A plan is one YAML document: remove this "---" and what follows, or merge the documents.'
)
YAML_TAG = Rule("yaml_syntax", 'YAML tags ("!...") are not allowed in a plan; write plain values.')
YAML_BAD_MERGE = Rule("yaml_syntax", 'A merge key ("<<") must refer to a mapping or a list of mappings.')

# The shape of each part (from the Pydantic models).
MISSING_KEY = Rule("missing_key", 'Required key "{key}" is missing.')
UNKNOWN_KEY = Rule("unknown_key", 'Unknown key "{key}".')
UNKNOWN_KEY_SUGGESTION = Rule("unknown_key", 'Unknown key "{key}"; did you mean "{suggestion}"?')
EXPECTED_TEXT = Rule("wrong_type", "Expected text here, got {value}.")
EXPECTED_INTEGER = Rule("wrong_type", "Expected a whole number here, got {value}.")
EXPECTED_NUMBER = Rule("wrong_type", "Expected a number here, got {value}.")
EXPECTED_BOOLEAN = Rule("wrong_type", "Expected true or false here, got {value}.")
EXPECTED_LIST = Rule("wrong_type", "Expected a list here, got {value}.")
EXPECTED_LOCALIZED = Rule(
    "wrong_type", "Expected a text in both languages here (keys zh-CN and en), got {value}."
)
EXPECTED_MAPPING = Rule("wrong_type", "Expected a mapping of keys here, got {value}.")
INVALID_CHOICE = Rule("invalid_choice", "Invalid value {value}; expected one of: {expected}.")
INVALID_TARGET = Rule("invalid_target", "A notification target needs exactly one of team, person or channel.")
INVALID_ID = Rule("invalid_id", 'Invalid id "{value}": use lower-case letters, digits, "-" and "_".')
INVALID_SLUG = Rule("invalid_slug", 'Invalid slug "{value}": use lower-case letters, digits and "-".')
INVALID_URL = Rule("invalid_url", 'Invalid URL "{value}": it must start with http:// or https://.')
INVALID_DURATION = Rule("invalid_duration", 'Invalid duration "{value}"; write it like 30s, 5m, 2h or 1h30m.')
INVALID_TIMEZONE = Rule(
    "invalid_timezone", 'Unknown time zone "{value}"; use an IANA name like Asia/Shanghai.'
)
INVALID_TIME_OF_DAY = Rule(
    "invalid_time_of_day", 'Invalid time of day "{value}"; write it like "10:00" (24-hour, in quotes).'
)
INVALID_DATETIME = Rule(
    "invalid_datetime", "Invalid date and time {value}; write it like 2026-06-16T09:00:00+08:00."
)
NAIVE_DATETIME = Rule("naive_datetime", "The date and time {value} has no UTC offset; add one, like +08:00.")
EMPTY_TEXT = Rule("empty_text", "This text must not be empty.")
TOO_SMALL = Rule("out_of_range", "The value {value} is below the minimum {limit}.")
TOO_LARGE = Rule("out_of_range", "The value {value} is above the maximum {limit}.")
INVALID_VALUE = Rule("invalid_value", "Invalid value: {detail}.")

# What the plan means (plans.validate).
DUPLICATE_ID = Rule("duplicate_id", 'The id "{id}" is used twice in {section} (first at line {first_line}).')
UNKNOWN_TEAM = Rule("unknown_team", 'Unknown team "{ref}"; the plan defines: {known}.')
UNKNOWN_PERSON = Rule("unknown_person", 'Unknown person "{ref}"; the plan defines: {known}.')
UNKNOWN_CHANNEL = Rule("unknown_channel", 'Unknown channel "{ref}"; the plan defines: {known}.')
UNKNOWN_CHANNEL_TYPE = Rule("unknown_channel_type", 'Unknown channel type "{ref}"; installed: {known}.')
UNKNOWN_CHANNEL_TYPE_SUGGESTION = Rule(
    "unknown_channel_type", 'Unknown channel type "{ref}"; did you mean "{suggestion}"? Installed: {known}.'
)
CHANNEL_CONFIG_INVALID = Rule(
    "channel_config_invalid", 'Invalid config of channel "{channel}" ({kind}): {problem}.'
)
UNKNOWN_IM_HANDLE = Rule(
    "unknown_im_handle", 'No installed channel uses the IM handle "{ref}"; known handles: {known}.'
)
UNKNOWN_IM_HANDLE_SUGGESTION = Rule(
    "unknown_im_handle",
    'No installed channel uses the IM handle "{ref}"; did you mean "{suggestion}"? Known handles: {known}.',
)
UNKNOWN_ALERT_SOURCE = Rule("unknown_alert_source", 'Unknown alert source "{ref}"; installed: {known}.')
UNKNOWN_ALERT_SOURCE_SUGGESTION = Rule(
    "unknown_alert_source", 'Unknown alert source "{ref}"; did you mean "{suggestion}"? Installed: {known}.'
)
UNKNOWN_CORE_FUNCTION = Rule(
    "unknown_core_function", 'Unknown core function "{ref}"; the plan defines: {known}.'
)
UNKNOWN_SCENARIO = Rule("unknown_scenario", 'Unknown scenario "{ref}"; the plan defines: {known}.')
UNKNOWN_BACKUP_PLAN = Rule("unknown_backup_plan", 'Unknown backup plan "{ref}"; the plan defines: {known}.')
UNKNOWN_TEMPLATE = Rule("unknown_template", 'Unknown template "{ref}"; the plan defines: {known}.')
UNKNOWN_ESCALATION_POLICY = Rule(
    "unknown_escalation_policy", 'Unknown escalation policy "{ref}"; the plan defines: {known}.'
)
PHASE_REVERSED = Rule("phase_reversed", "The {phase} phase ends before it starts.")
PHASE_OVERLAP = Rule("phase_overlap", "The {phase} phase overlaps the {other} phase.")
PHASE_DUPLICATE = Rule("phase_duplicate", "The {phase} phase is defined twice.")
PHASE_ORDER = Rule(
    "phase_order", "The {phase} phase starts after the {previous} phase; phases run prep, live, post."
)
LEVEL_MISSING = Rule(
    "level_missing", "Level {level} is not defined; levels 1, 2 and 3 must each be defined once."
)
LEVEL_DUPLICATE = Rule("level_duplicate", "Level {level} is defined twice.")
LEVEL_NOBODY_NOTIFIED = Rule(
    "level_nobody_notified", "Level {level} notifies nobody; add a target under notify."
)
LEVEL1_SLOW_NOTIFY = Rule(
    "level1_slow_notification",
    "Level 1 notifies within {value}; the plan's rule is to notify the leads within 5 minutes.",
    "warning",
)
LEVEL_PAUSE_NO_TEMPLATE = Rule(
    "level_pause_no_template",
    "Level {level} pauses the event (pause_activity) but no template has purpose pause; "
    "the status page will show a built-in notice.",
    "warning",
)
ESCALATION_STEP_EMPTY = Rule("escalation_step_empty", "This escalation step notifies nobody.")
RESTORE_PRIORITY_DUPLICATE = Rule(
    "restore_priority_duplicate", 'Restore priority {priority} is used by both "{first}" and "{second}".'
)
TEAM_NO_LEAD = Rule("team_no_lead", 'Team "{team}" has no lead.')
TEAM_UNREACHABLE = Rule(
    "team_unreachable", 'Team "{team}" cannot be reached: it has no channel and no member with a contact.'
)
VENDOR_DETAILS_MISSING = Rule(
    "vendor_details_missing",
    'Vendor team "{team}" has no vendor details (company, service, escalation contact).',
)
PERSON_NO_CONTACT = Rule(
    "person_no_contact", 'Person "{person}" has no email, phone or IM handle.', "warning"
)
INLINE_SECRET = Rule(
    "inline_secret",
    'Channel "{channel}" holds a secret in the plan; put it in an environment variable named by secret_env.',
)
RUNBOOK_STEP_NO_OWNER = Rule("runbook_step_no_owner", 'Runbook step "{step}" has no owner team.')
SCENARIO_NO_RUNBOOK = Rule("scenario_no_runbook", 'Scenario "{scenario}" has no runbook steps.', "warning")
INVALID_REGEX = Rule("invalid_regex", 'Invalid regular expression "{pattern}": {problem}.')
RULE_MATCHES_EVERYTHING = Rule(
    "rule_matches_everything",
    "This classification rule has no match, match_re or sources: it matches every alert.",
    "warning",
)
TEMPLATE_MISSING_LANGUAGE = Rule("template_missing_language", 'Template "{template}" has no {language} text.')
TEMPLATE_SYNTAX = Rule("template_syntax", "Template syntax error: {problem}.")
TEMPLATE_UNKNOWN_VARIABLE = Rule(
    "template_unknown_variable", 'Template variable "{name}" does not exist; the variables are: {allowed}.'
)
RISK_SCORE_OUT_OF_RANGE = Rule(
    "risk_score_out_of_range", "The risk {field} must be from 1 to 5, not {value}."
)
UNKNOWN_RISK_CATEGORY = Rule(
    "unknown_risk_category",
    'Unknown risk category "{ref}"; the categories are: {known}.',
)
DUPLICATE_SURVEY_TAG = Rule("duplicate_survey_tag", 'Survey tag "{id}" is defined twice.')
SURVEY_TAG_NO_KEYWORDS = Rule(
    "survey_tag_no_keywords", 'Survey tag "{id}" has no keywords: no answer ever gets it.', "warning"
)
DUPLICATE_LEGAL_ITEM = Rule("duplicate_legal_item", 'Legal item "{id}" is listed twice.')
BACKUP_PLAN_INCOMPLETE = Rule("backup_plan_incomplete", 'Backup plan "{plan}" of kind {kind} needs {key}.')
# Monitoring probes and content watch (eventguard.probes, eventguard.watch).
PROBE_QUERY_TARGET = Rule(
    "probe_query_target",
    'Probe "{probe}" needs both target and query (a Prometheus query), or neither (a pushed value).',
)
PROBE_INTERVAL_TOO_SHORT = Rule(
    "probe_interval_too_short", 'Probe "{probe}" would run every {value}; the shortest interval is 1s.'
)
PROBE_TIMEOUT_TOO_LONG = Rule(
    "probe_timeout_too_long",
    'Probe "{probe}" may take {timeout}, longer than its interval {value}; checks would overlap.',
    "warning",
)
WATCH_NO_WORDS = Rule(
    "watch_no_words", "content_watch has a content_alert but no word list with words.", "warning"
)

SCHEDULE_NO_LAYERS = Rule(
    "schedule_no_layers",
    'Schedule "{schedule}" has no layers: only overrides put someone on call.',
    "warning",
)
SCHEDULE_TEAM_TAKEN = Rule(
    "schedule_team_taken",
    'Team "{team}" already has schedule "{first}" (line {first_line}); only the first one is used.',
    "warning",
)
LAYER_NO_MEMBERS = Rule(
    "layer_no_members", 'Layer "{layer}" has no members; list person ids in rotation order.'
)
ROTATION_TOO_SHORT = Rule("rotation_too_short", "A custom rotation turn must last at least 1h, not {value}.")
RESTRICTION_EMPTY = Rule(
    "restriction_empty",
    'This restriction starts and ends at {time}; write a window like from "09:00" to "18:00".',
)

# Maintenance windows (eventguard.noise).
WINDOW_MATCHES_EVERYTHING = Rule(
    "window_matches_everything",
    'Maintenance window "{window}" matches every alert: at least one matcher must need a non-empty value.',
)
WINDOW_TOO_LONG = Rule(
    "window_too_long",
    'Maintenance window "{window}" repeats {repeat} but lasts {duration}, longer than its period.',
)
WINDOW_ENDS_BEFORE_START = Rule(
    "window_ends_before_start", 'Maintenance window "{window}" has an until that is not after its start.'
)


# Inhibition, flapping and reminders (docs/plan-format.md#noise; eventguard.noise).
INHIBIT_TARGET_NOT_LOWER = Rule(
    "inhibit_target_not_lower",
    'Inhibition rule "{inhibit}" targets level {level}, which is not less severe than its source level '
    "{source}: only less severe alerts can join a more severe incident.",
)
REMINDER_LEVEL_DUPLICATE = Rule(
    "reminder_level_duplicate", "Reminders for level {level} are given twice; keep one."
)
REMINDER_EMPTY = Rule(
    "reminder_empty", "The reminders of level {level} need unacknowledged_every, open_every or both."
)
REMINDER_TOO_FREQUENT = Rule(
    "reminder_too_frequent", "A reminder every {value} is too often; remind at most once a minute."
)
TRANSIENT_LEVEL_1 = Rule(
    "transient_level_1", "Level 1 always pages at once: transient alerts cannot be held for it."
)
TRANSIENT_LEVEL_DUPLICATE = Rule(
    "transient_level_duplicate", "The transient setting of level {level} is given twice; keep one."
)
TRANSIENT_TOO_SHORT = Rule(
    "transient_too_short", "Paging waits {value} for transient alerts; wait at least 1m."
)
FLAPPING_WINDOW_TOO_SHORT = Rule(
    "flapping_window_too_short", "Flapping is counted within {value}; count over at least 1m."
)


# Drills (docs/plan-format.md#drills).
DRILL_STEP_INCOMPLETE = Rule(
    "drill_step_incomplete",
    'Step {step} of drill "{drill}" needs "{key}": a live step injects alert (title), probe_failure '
    "(probe), complaint (title) or channel_down (channel); a tabletop step asks a question.",
)
DRILL_NO_STEPS = Rule("drill_no_steps", 'Drill "{drill}" has no steps.')
DRILL_STEPS_UNORDERED = Rule(
    "drill_steps_unordered", 'Step {step} of drill "{drill}" comes at {at}, before the step above it.'
)
UNKNOWN_PROBE = Rule("unknown_probe", 'Unknown monitoring probe "{ref}"; the plan defines: {known}.')


# The offline kit and compliance deadlines (docs/plan-format.md#offline-emergency-kit, #compliance).
CARD_UNKNOWN_LEVEL = Rule(
    "card_unknown_level", "This handling card is for level {level}, which the plan does not define."
)
CARD_DUPLICATE = Rule(
    "card_duplicate",
    "Team {team} has a second handling card for level {level} (the first is on line {line}).",
)
COMPLIANCE_FRACTION = Rule(
    "compliance_fraction", "A reminder fraction must lie between 0 and 1 (0.5: at half time), got {value}."
)


def all_rules() -> list[Rule]:
    """Every rule defined above (for the docs and translation tests)."""
    return [value for value in globals().values() if isinstance(value, Rule)]
