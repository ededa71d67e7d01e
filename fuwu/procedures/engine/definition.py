"""The procedure definition format, as typed models.

A procedure is authored as YAML (see docs/procedure-format.md). These pydantic models are the
single description of what a definition may contain: `extra="forbid"` everywhere, so a typo in
a key is an error with its exact location rather than a silently ignored setting. Cross-references
(targets of transitions, fields named by `require`, roles, guards) are checked in `validate.py`.

This module imports nothing from Django: the engine is tested without a database.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fuwu.procedures.engine.durations import FromField, Span, parse_from_field, parse_span

KEY_RE = r"^[a-z][a-z0-9_]{0,62}$"
Key = Annotated[str, Field(pattern=KEY_RE)]
PRIORITIES = ("urgent", "high", "normal", "low")
CHANNELS = ("phone", "walk_in", "email", "web", "wechat", "sms", "letter", "visit", "system")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A bilingual label: Chinese is the primary language, English must be complete too."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str | None) -> str:
        return self.en if (language or "").lower().startswith("en") else self.zh


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    DATETIME = "datetime"
    DATE = "date"
    BOOL = "bool"
    PERSON = "person"
    MONEY = "money"
    CASE = "case"  # another case, stored as its id; typed as its number (20261203-000123) or id
    LINES = "lines"  # repeating rows of scalar `columns`; the value is a list of row mappings
    MULTI_CHOICE = "multi_choice"  # several of `options`; the value is a list of option values


class PersonalKind(StrEnum):
    """What personal information (PIPL) a text field holds: masked for staff who do not need
    it, revealed with a logged reason, anonymised after the retention period
    (fuwu/customers/privacy.py). A `name` is shown in full and only anonymised."""

    PHONE = "phone"
    EMAIL = "email"
    ID_CARD = "id_card"
    NAME = "name"
    ADDRESS = "address"


# The types a column of a `lines` field may have: one value per cell.
SCALAR_TYPES = frozenset(FieldType) - {FieldType.LINES, FieldType.MULTI_CHOICE}
# Hard bound on rows whatever `max_rows` says, so a submitted list cannot grow without limit.
MAX_ROWS = 500


class ChoiceOption(Strict):
    value: Key
    label: Text


class FieldDef(Strict):
    key: Key
    type: FieldType
    label: Text
    required: bool = False
    options: list[ChoiceOption] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int = Field(default=2000, ge=1, le=20000)
    help: Text | None = None
    # `lines` only: the row's cells (scalar fields; a column's `compute` reads the row's columns).
    columns: list[FieldDef] | None = None
    min_rows: int | None = Field(default=None, ge=0, le=MAX_ROWS)
    max_rows: int | None = Field(default=None, ge=1, le=MAX_ROWS)
    # A CEL expression (fuwu.procedures.engine.compute): the value is always computed from the
    # case data (or, in a column, from the row) and never accepted from input.
    compute: str | None = Field(default=None, min_length=1)
    # A CEL expression that fills the field when it is blank: when the form is shown and when
    # it is submitted blank.
    default: str | None = Field(default=None, min_length=1)
    # `date` / `datetime` only: a value entered may not lie in the past (an appointment, a
    # promised time, a visit date); a stored one that has since passed stays valid.
    not_past: bool = False
    # Personal information (a phone number, an ID-card number …): see `PersonalKind`.
    personal: PersonalKind | None = None

    @model_validator(mode="after")
    def _options_match_type(self) -> FieldDef:
        if self.personal is not None and self.type is not FieldType.TEXT:
            raise ValueError(f"only a text field takes `personal` (this one is {self.type})")
        if self.personal is not None and self.compute is not None:
            raise ValueError("a computed field holds no personal value of its own (`personal`)")
        if self.not_past and self.type not in (FieldType.DATE, FieldType.DATETIME):
            raise ValueError("only a date or datetime field takes `not_past`")
        takes_options = self.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
        if takes_options and not self.options:
            raise ValueError(f"a {self.type} field needs `options`")
        if not takes_options and self.options:
            raise ValueError("only a choice or multi_choice field takes `options`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("`min` is greater than `max`")
        if self.compute is not None and self.default is not None:
            raise ValueError("a field is either computed (`compute`) or has a `default`, not both")
        return self

    @model_validator(mode="after")
    def _columns_match_type(self) -> FieldDef:
        if self.type is not FieldType.LINES:
            if self.columns is not None or self.min_rows is not None or self.max_rows is not None:
                raise ValueError("only a lines field takes `columns`, `min_rows`, `max_rows`")
            return self
        if not self.columns:
            raise ValueError("a lines field needs `columns`")
        keys = [c.key for c in self.columns]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"columns named twice: {', '.join(doubled)}")
        compound = [c.key for c in self.columns if c.type not in SCALAR_TYPES]
        if compound:
            raise ValueError(
                f"a column holds one value, not lines or multi_choice: {', '.join(compound)}"
            )
        if (
            self.min_rows is not None
            and self.max_rows is not None
            and self.min_rows > self.max_rows
        ):
            raise ValueError("`min_rows` is greater than `max_rows`")
        if self.compute is not None:
            raise ValueError("a lines field is not computed as a whole; compute its columns")
        return self

    def column(self, key: str) -> FieldDef | None:
        return next((c for c in self.columns or [] if c.key == key), None)


class ChecklistKind(StrEnum):
    YES_NO = "yes_no"
    TEXT = "text"
    PHOTO = "photo"
    MEASUREMENT = "measurement"
    DOCUMENT = "document"  # a material to review: received / missing / inconsistent


DOCUMENT_STATES = ("received", "missing", "inconsistent")


class ChecklistItem(Strict):
    key: Key
    label: Text
    type: ChecklistKind = ChecklistKind.YES_NO
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    # Applies only when this CEL condition holds (e.g. the documents of one service type).
    when: str | None = None

    @model_validator(mode="after")
    def _range_for_measurements(self) -> ChecklistItem:
        if self.type is ChecklistKind.MEASUREMENT:
            if self.min is None and self.max is None:
                raise ValueError("a measurement needs an accepted range: `min`, `max` or both")
            if not self.unit:
                raise ValueError("a measurement needs a `unit`")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError("`min` is greater than `max`")
        elif self.min is not None or self.max is not None:
            raise ValueError("only a measurement takes `min`/`max`")
        return self


class Owner(Strict):
    """Who owns a step: a department (by code) and/or a role. `keep` leaves ownership as it is."""

    department: str | None = None
    department_field: Key | None = None  # a choice field whose value is the department code
    role: str | None = None
    keep: bool = False

    @model_validator(mode="after")
    def _something(self) -> Owner:
        if not (self.department or self.department_field or self.role or self.keep):
            raise ValueError(
                "an owner names a `department`, a `department_field`, a `role`, or `keep: true`"
            )
        if self.department and self.department_field:
            raise ValueError("name either `department` or `department_field`, not both")
        return self


Duration = Annotated[str, Field(min_length=2)]


def _check_duration(value: str) -> str:
    parse_span(value)  # raises ValueError with a clear message
    return value


def _check_from_field(value: str) -> str:
    parse_from_field(value)  # raises ValueError with a clear message
    return value


class Window(Strict):
    """Days of every month, e.g. 28–30: due at the close of business of the last working day
    on or before `to_day` (clamped to the month's length); next month's once this one closed."""

    from_day: int = Field(ge=1, le=31)
    to_day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.from_day > self.to_day:
            raise ValueError("`from_day` is after `to_day`")
        return self


class Limit(Strict):
    """A time limit: one duration, or one per priority (`default` used for the rest); or a
    moment from a date field (`until`); or a window of days in every month (`window`)."""

    default: Duration | None = None
    urgent: Duration | None = None
    high: Duration | None = None
    normal: Duration | None = None
    low: Duration | None = None
    until: str | None = None
    window: Window | None = None

    @field_validator(*PRIORITIES, "default")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        return None if value is None else _check_duration(value)

    @field_validator("until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        return None if value is None else _check_from_field(value)

    @model_validator(mode="after")
    def _one_kind(self) -> Limit:
        kinds = [
            any(getattr(self, p) for p in ("default", *PRIORITIES)),
            self.until is not None,
            self.window is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError(
                "a limit is durations (default/urgent/high/normal/low), `until` or `window`:"
                " exactly one of these"
            )
        return self

    def span_for(self, priority: str) -> Span | None:
        value = getattr(self, priority, None) or self.default
        return None if value is None else parse_span(value)

    @property
    def from_field(self) -> FromField | None:
        return None if self.until is None else parse_from_field(self.until)


def _limit(value: Any) -> Any:
    return {"default": value} if isinstance(value, str) else value


class NotifyTarget(StrEnum):
    ASSIGNEE = "assignee"
    DEPARTMENT_MANAGER = "department_manager"
    REPORTING_LINE = "reporting_line"
    TOP = "top"  # the head of the reporting line (主管副总)
    CUSTOMER = "customer"
    DEPARTMENT = "department"
    ROLE = "role"


class Notify(Strict):
    to: NotifyTarget
    level: int = Field(default=1, ge=1, le=10)
    department: str | None = None
    role: str | None = None
    message: Text | None = None


class LinkedCase(Strict):
    procedure: Key
    copy_fields: list[Key] = []


REGISTERS = ("key", "parking_permit", "material")


class RegisterOut(Strict):
    """Record in a register that something is handed out: who holds what, since when, due back."""

    # Written `register:` in definitions (an alias: `register` is taken on pydantic models).
    book: Literal[REGISTERS] = Field(alias="register")  # type: ignore[valid-type]
    item_field: Key | None = None  # a field naming the item; the case's asset when absent
    holder_field: Key | None = None  # a field naming the holder; the case's customer when absent
    due_field: Key | None = None  # a date or date-time field: when it is due back


class RegisterIn(Strict):
    """Close this case's open entry in the register: the item is back."""

    book: Literal[REGISTERS] = Field(alias="register")  # type: ignore[valid-type]


class BookAppointment(Strict):
    """Book the case's customer and car into a workshop's labour hours (fuwu.scheduling): the
    time and hours come from the case's fields; refused, and the move with it, when the day has
    not the bookable hours left. Skipped where the site has no such workshop set up."""

    department: Key  # the workshop's department code on the case's site
    at_field: Key  # a datetime field: when the customer comes
    hours_field: Key  # a number field: the labour hours booked (a described job)
    # A text field naming operations of the labour-time catalogue by code ("MNT-40K, BRK-F"):
    # each is a job at its standard hours, and its usual parts are reserved at booking.
    operations_field: Key | None = None


APPOINTMENT_STATUSES = ("arrived", "no_show", "cancelled")


class BookVisit(Strict):
    """Put the case's job on the field team's list (fuwu.scheduling.routes): a visit to the
    case's asset (its `lat`/`lon` attributes) on the day of `day_field`, in a window the
    service may start in, for a fixed or a typed number of minutes. Refused, and the move with
    it, when the asset has no coordinates, the day is closed or the window is outside the
    site's hours. Skipped where the site's department has no workshop or no field base."""

    department: Key | None = None  # the workshop's department code on the case's site …
    department_field: Key | None = None  # … or a choice field whose value is that code
    day_field: Key  # a date or datetime field: the day (a datetime's time opens the window)
    # Choice fields whose options are times `tHHMM` (t0930): the earliest and the latest start.
    window_from_field: Key | None = None
    window_to_field: Key | None = None
    minutes_field: Key | None = None  # a number field: how long the job takes …
    minutes: int | None = Field(default=None, ge=1, le=1440)  # … or a fixed length
    skill: Key | None = None  # the skill code a technician needs for the job
    address_field: Key | None = None  # a text field: the address shown to the technician

    @model_validator(mode="after")
    def _one_each(self) -> BookVisit:
        if (self.department is None) == (self.department_field is None):
            raise ValueError("a visit names either `department` or `department_field`")
        if (self.minutes is None) == (self.minutes_field is None):
            raise ValueError("a visit takes either `minutes` or `minutes_field`")
        return self


VISIT_STATUSES = ("done", "cancelled")


class CopyField(Strict):
    """A value copied from one of the case's fields (its current value; a lines field's rows)."""

    field: Key


# A value written to a record: a literal, or `{field: <data key>}`. A literal mapping is not
# allowed, so `{expr: …}` can join later without ambiguity.
RecordValue = CopyField | str | int | float | bool | None


class UpdateAsset(Strict):
    """Write to the case's asset: `attributes` merged into the unit's / vehicle's attributes."""

    attributes: dict[Key, RecordValue] = Field(min_length=1)


class UpdateCustomer(Strict):
    """Write to the case's customer: `preferences` merged into the customer's preferences."""

    preferences: dict[Key, RecordValue] = Field(min_length=1)


class SetExpr(Strict):
    """`set: {fee: {expr: "data.area * data.rate"}}`: a value computed when the effect runs."""

    expr: str = Field(min_length=1)


class Effect(Strict):
    """Exactly one of these keys: what happens when a transition is taken or a step runs."""

    notify: Notify | None = None
    schedule_return_visit: Duration | None = None
    open_linked_case: LinkedCase | None = None
    mark_comeback: Literal[True] | None = None
    flag_major: Literal[True] | None = None
    # A fixed value, or `{expr: "<CEL>"}` computed from the case data when the effect runs.
    set: dict[Key, str | int | float | bool | SetExpr | None] | None = None
    register_out: RegisterOut | None = None
    register_in: RegisterIn | None = None
    update_asset: UpdateAsset | None = None
    update_customer: UpdateCustomer | None = None
    book_appointment: BookAppointment | None = None
    # The case's booked appointment is marked arrived, no-show or cancelled.
    appointment_status: Literal["arrived", "no_show", "cancelled"] | None = None
    # The repair order's jobs are made from its appointment's lines (fuwu.scheduling.production).
    open_repair_jobs: Literal[True] | None = None
    book_visit: BookVisit | None = None
    # The case's open or planned visit is marked done or cancelled (it leaves its route).
    visit_status: Literal["done", "cancelled"] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Effect:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an effect has exactly one of: notify, schedule_return_visit, open_linked_case,"
                " mark_comeback, flag_major, set, register_out, register_in, update_asset,"
                " update_customer, book_appointment, appointment_status, open_repair_jobs,"
                " book_visit, visit_status"
                f" (found: {', '.join(given) or 'none'})"
            )
        if self.schedule_return_visit is not None:
            _check_duration(self.schedule_return_visit)
        return self


class Warning(Strict):
    """A non-blocking check: when `when` holds, the person must confirm `message` to go on."""

    when: str = Field(min_length=1)
    message: Text


class Timer(Strict):
    """A wake-up at a moment taken from a date field: take a transition or run effects."""

    at: str
    take: Key | None = None
    effects: list[Effect] = []

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        return _check_from_field(value)

    @model_validator(mode="after")
    def _does_one_thing(self) -> Timer:
        if (self.take is None) == (not self.effects):
            raise ValueError("a timer has either `take` (a transition) or `effects`, not both")
        return self

    @property
    def moment(self) -> FromField:
        return parse_from_field(self.at)


class Transition(Strict):
    key: Key
    to: Key
    label: Text
    roles: list[str] = Field(min_length=1)
    guard: str | None = None
    require: list[Key] = []
    fields: list[FieldDef] = []
    effects: list[Effect] = []
    reopens: bool = False  # moving back into work after resolution (a dissatisfied return visit)
    # Leaves the step without completing its form and checklist (wait, cancel, escalate …):
    # the step's required fields and checklist items are then not demanded.
    skip_form: bool = False
    warnings: list[Warning] = []


class StepKind(StrEnum):
    TASK = "task"
    APPROVAL = "approval"
    WAIT = "wait"
    AUTOMATIC = "automatic"
    PARALLEL = "parallel"
    END = "end"


class Branch(Strict):
    key: Key
    name: Text
    owner: Owner
    form: list[FieldDef] = []
    checklist: list[ChecklistItem] = []


class Step(Strict):
    kind: StepKind
    name: Text
    owner: Owner | None = None
    form: list[FieldDef] = []
    checklist: list[ChecklistItem] = []
    limit: Limit | None = None
    transitions: list[Transition] = []
    pauses_clock: bool = False
    resolves: bool = False
    on_timeout: Key | None = None
    timers: list[Timer] = []
    effects: list[Effect] = []
    next: Key | None = None
    branches: list[Branch] = []
    outcome: Literal["done", "cancelled", "rejected"] = "done"

    _limit_shorthand = field_validator("limit", mode="before")(
        classmethod(lambda cls, v: _limit(v))
    )


class Clock(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"
    STEP = "step"


class Rung(Strict):
    """One rung of the escalation ladder: when `clock` reaches `at` percent, notify someone."""

    at: str
    clock: Clock = Clock.RESOLUTION
    notify: NotifyTarget
    level: int = Field(default=1, ge=1, le=10)
    role: str | None = None
    department: str | None = None

    @field_validator("at")
    @classmethod
    def _percent(cls, value: str) -> str:
        if not re.fullmatch(r"\d{1,4}%", value) or int(value[:-1]) == 0:
            raise ValueError("write a percentage of the limit, such as 80% or 150%")
        return value

    @property
    def fraction(self) -> float:
        return int(self.at[:-1]) / 100


class Limits(Strict):
    response: Limit | None = None
    resolution: Limit | None = None

    _shorthand = field_validator("response", "resolution", mode="before")(
        classmethod(lambda cls, v: _limit(v))
    )


Scalar = str | int | float | bool | None


class PortalRating(Strict):
    """What a customer's 1–5 rating does. A score at or below `low` is dissatisfied.

    When the case stands on `step` (the return visit), the rating answers it: a good one takes
    the `good` transition, a low one the `bad` one (normally `reopens: true`); both get the fixed
    values in `form`, plus the rating's verdict in `satisfied_field` and the comment in
    `comment_field`. Elsewhere (or without a `step`) a low rating escalates: the owning
    department's manager and the head of the reporting line are told.
    """

    low: int = Field(default=2, ge=1, le=4)
    step: Key | None = None
    good: Key | None = None
    bad: Key | None = None
    form: dict[Key, Scalar] = {}
    satisfied_field: Key | None = None
    comment_field: Key | None = None


class Portal(Strict):
    """How the customer portal offers a procedure that is `open_to_customers`.

    The customer fills the procedure's required intake fields and those named in `fields`;
    the request's description goes to `description_field`, the customer's own name/phone/e-mail
    to the fields in `profile`, the chosen unit's or vehicle's label to `asset_field`.
    """

    # What the customer reads: the service's name and a line on what it is for (staff names
    # and descriptions describe the internal workflow), and a sentence per step telling what
    # is happening while the case stands there. Without them: the procedure's name, no line,
    # the general sentence of the request's stage.
    name: Text | None = None
    blurb: Text | None = None
    icon: str | None = Field(default=None, pattern=r"^bi-[a-z0-9-]{1,40}$")  # Bootstrap icon
    progress: dict[Key, Text] = {}
    fields: list[Key] = []
    description_field: Key | None = None
    profile: dict[Key, Literal["name", "phone", "email"]] = {}
    asset_field: Key | None = None
    rating: PortalRating = PortalRating()
    # Fields the customer sees, read-only, on the request's page once they hold a value (an
    # estimate's line items, a fee): any of the procedure's fields, in this order.
    show: list[Key] = []


class Procedure(Strict):
    key: Key
    name: Text
    description: Text | None = None
    seed: str = Field(min_length=1)
    open_to_customers: bool = False
    channels: list[Literal[CHANNELS]] = list(CHANNELS)  # type: ignore[valid-type]
    calendar: Literal["site", "24x7"] = "site"
    response_on_open: bool = False
    default_priority: Literal[PRIORITIES] = "normal"  # type: ignore[valid-type]
    owner: Owner
    # Sites name their departments differently (a dealership has a call centre, not a customer
    # service centre): where a site has no department with a code the definition names, the
    # first of that code's stand-ins it has takes its place. E.g. {service_center: [call_center]}.
    departments: dict[Key, list[Key]] = {}
    fields: list[FieldDef] = []
    start: Key
    steps: dict[Key, Step] = Field(min_length=2)
    limits: Limits = Limits()
    escalation: list[Rung] = []
    major_notify: Notify | None = None
    portal: Portal = Portal()

    @model_validator(mode="after")
    def _portal_refers(self) -> Procedure:
        intake = {f.key for f in self.fields}
        p = self.portal
        named = [*p.fields, *p.profile, p.description_field, p.asset_field]
        unknown = [k for k in named if k is not None and k not in intake]
        if unknown:
            raise ValueError(
                f"portal names fields that are not intake fields: {', '.join(unknown)}"
            )
        strays = [k for k in p.progress if k not in self.steps]
        if strays:
            raise ValueError(f"portal.progress names steps that do not exist: {', '.join(strays)}")
        r = p.rating
        if r.step is not None:
            step = self.steps.get(r.step)
            if step is None:
                raise ValueError(f"portal.rating.step `{r.step}` is not a step")
            keys = {t.key for t in step.transitions}
            missing = [t for t in (r.good, r.bad) if t is not None and t not in keys]
            if missing:
                raise ValueError(
                    f"portal.rating names transitions not on step `{r.step}`: {', '.join(missing)}"
                )
        elif r.good or r.bad:
            raise ValueError("portal.rating.good/bad need a `step`")
        return self

    @model_validator(mode="after")
    def _portal_shows(self) -> Procedure:
        known = self.all_fields()
        unknown = [k for k in self.portal.show if k not in known]
        if unknown:
            raise ValueError(f"portal.show names fields the procedure lacks: {', '.join(unknown)}")
        return self

    def step(self, key: str) -> Step:
        return self.steps[key]

    def all_fields(self) -> dict[str, FieldDef]:
        """Every data field the procedure declares, wherever it is declared."""
        found: dict[str, FieldDef] = {f.key: f for f in self.fields}
        for step in self.steps.values():
            for f in step.form:
                found.setdefault(f.key, f)
            for branch in step.branches:
                for f in branch.form:
                    found.setdefault(f.key, f)
            for t in step.transitions:
                for f in t.fields:
                    found.setdefault(f.key, f)
        return found
