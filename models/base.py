"""The base of every model: the same Tortoise model, built faster from a database row.

Tortoise builds each fetched row through `Model._init_from_db`, which converts every
datetime with the `iso8601` package and sets four bookkeeping attributes through the
model's `__setattr__`. A program page builds about 550 models, and that was a third of
its time (`make bench`, (a)). Here the same instance is made with the values written
straight into its `__dict__`, and SQLite's datetime text is parsed by
`datetime.fromisoformat` (60x faster on the same values), then put in the default time
zone exactly as Tortoise does. Every other field converts as Tortoise converts it, and a
partial row (`.only()`) takes Tortoise's own path. The instances are ordinary models:
services still save them.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Generator, Sequence
from typing import Any, Generic, Self, TypeVar

from tortoise import timezone
from tortoise.fields import DateField, DatetimeField
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.models import Model

Converter = Callable[[Any], Any] | None
RowPlan = tuple[tuple[str, str, Converter], ...]
_UTC = datetime.UTC


def _datetime_converter(field: DatetimeField) -> Converter:
    zone = timezone.get_default_timezone()

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        elif not isinstance(value, datetime.datetime):
            return field.to_python_value(value)  # a timestamp: Tortoise's way
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(zone)

    return convert


def _date_converter(field: DateField) -> Converter:
    def convert(value: Any) -> Any:
        if value is None or isinstance(value, datetime.date):
            return value
        if isinstance(value, str) and len(value) == 10:
            return datetime.date.fromisoformat(value)
        return field.to_python_value(value)

    return convert


def _enum_converter(field: CharEnumFieldInstance | IntEnumFieldInstance) -> Converter:
    """The member by its value from a dict (calling the enum class looks it up the slow,
    general way); anything else as Tortoise converts it (None, or its ValueError)."""
    members = {member.value: member for member in field.enum_type}
    to_python = field.to_python_value

    def convert(value: Any) -> Any:
        member = members.get(value)
        return member if member is not None else to_python(value)

    return convert


def _row_plan(cls: type[Model]) -> tuple[tuple[str, str, Converter], ...] | None:
    """(column, attribute, converter) for each column, as `_init_from_db` reads them;
    None when datetimes are naive (use_tz off), where Tortoise's path is kept."""
    if not timezone.get_use_tz():
        return None
    meta = cls._meta
    plan: list[tuple[str, str, Converter]] = []
    for key, attribute, _field in meta.db_native_fields:
        plan.append((key, attribute, None))
    for key, attribute, field in meta.db_default_fields:
        field_type = field.field_type
        plan.append((key, attribute, lambda v, t=field_type: None if v is None else t(v)))
    for key, attribute, field in meta.db_complex_fields:
        if type(field) is DatetimeField:
            plan.append((key, attribute, _datetime_converter(field)))
        elif type(field) is DateField:
            plan.append((key, attribute, _date_converter(field)))
        elif isinstance(field, CharEnumFieldInstance | IntEnumFieldInstance):
            plan.append((key, attribute, _enum_converter(field)))
        else:
            plan.append((key, attribute, field.to_python_value))
    return tuple(plan)


@functools.lru_cache(maxsize=512)
def _select_in(  # noqa: PLR0913, PLR0917 - the cache key
    table: str,
    columns: tuple[str, ...],
    key: str,
    count: int,
    equal: tuple[str, ...],
    order: tuple[str, ...],
    dialect: str,
) -> str:
    """`SELECT columns FROM table WHERE key IN (...) [AND column = ...] ORDER BY order`,
    with `dialect`'s placeholders (the keys' first, then one per `equal` column)."""
    total = count + len(equal)
    postgres = dialect == "postgres"
    marks = [f"${n}" for n in range(1, total + 1)] if postgres else ["?"] * total
    selected = ",".join(f'"{column}"' for column in columns)
    sql = f'SELECT {selected} FROM "{table}" WHERE "{key}" IN ({",".join(marks[:count])})'
    for column, mark in zip(equal, marks[count:], strict=True):
        sql += f' AND "{column}"={mark}'
    if order:
        sql += " ORDER BY " + ",".join(f'"{column}" ASC' for column in order)
    return sql


def _sqlite_tuples(connection: Any, sql: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """On aiosqlite's thread: the rows as plain tuples (Tortoise's connection makes a
    `sqlite3.Row` of each, which costs more to build and to read)."""
    cursor = connection.cursor()
    cursor.row_factory = None
    try:
        return cursor.execute(sql, values).fetchall()
    finally:
        cursor.close()


async def _fetch(db: Any, dialect: str, sql: str, values: list[Any]) -> Sequence[Any]:
    """Rows of a read, logged on `tortoise.db_client` as Tortoise logs its own (the
    statement counts in tests read that log)."""
    if dialect != "sqlite":
        return (await db.execute_query(sql, values))[1]
    async with db.acquire_connection() as connection:  # Tortoise's lock, or its transaction's
        db.log.debug("%s: %s", sql, values)
        return await connection._execute(_sqlite_tuples, connection._conn, sql, values)


_DIRECT_DIALECTS = ("sqlite", "postgres")
# Each condition is its column, then this with the value's placeholder in place of {}.
_OPERATORS = {"": "={}", "gt": ">{}", "lt": "<{}"}


@functools.lru_cache(maxsize=512)
def _select_where(  # noqa: PLR0913, PLR0917 - the cache key
    table: str,
    columns: tuple[str, ...] | None,
    conditions: tuple[tuple[str, str], ...],
    either: tuple[str, ...],
    order: tuple[str, bool] | None,
    limited: bool,
    dialect: str,
) -> str:
    """The SQL of a `FastQuery` of this shape (`columns` None: a count)."""
    count = len(conditions) + len(either) + int(limited)
    postgres = dialect == "postgres"
    marks = iter([f"${n}" for n in range(1, count + 1)] if postgres else ["?"] * count)
    selected = "COUNT(*)" if columns is None else ",".join(f'"{c}"' for c in columns)
    parts = [f'"{column}"' + operator.format(next(marks)) for column, operator in conditions]
    if either:
        parts.append("(" + " OR ".join(f'"{column}"={next(marks)}' for column in either) + ")")
    sql = f'SELECT {selected} FROM "{table}"'
    if parts:
        sql += " WHERE " + " AND ".join(parts)
    if order is not None:
        sql += f' ORDER BY "{order[0]}" {"DESC" if order[1] else "ASC"}'
    if limited:
        sql += f" LIMIT {next(marks)}"
    return sql


def _compile_builder(cls: type[Model], plan: RowPlan) -> Callable[[Sequence[Any]], list[Any]]:
    """A function that builds `cls` instances from rows in `plan`'s column order, made
    once per plan: each instance's `__dict__` is one dict display, the values and the
    bookkeeping Tortoise sets, with each converter called by name. A loop over the plan
    per row was twice the cost of this on a program page's 550 rows."""
    meta = cls._meta
    # The model's own __setattr__ (Tortoise's bookkeeping) is for fields, not __dict__.
    names: dict[str, Any] = {"new": cls.__new__, "cls": cls, "set": object.__setattr__}
    items = []
    for index, (_, attribute, convert) in enumerate(plan):
        if convert is None:
            items.append(f"{attribute!r}: row[{index}]")
        else:
            names[f"convert{index}"] = convert
            items.append(f"{attribute!r}: convert{index}(row[{index}])")
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    items += [
        "'_partial': False",
        "'_saved_in_db': True",
        f"'_custom_generated_pk': {custom_pk}",
        "'_await_when_save': {}",
    ]
    source = (
        "def build(rows):\n"
        "    made = []\n"
        "    append = made.append\n"
        "    for row in rows:\n"
        "        self = new(cls)\n"
        f"        set(self, '__dict__', {{{', '.join(items)}}})\n"
        "        append(self)\n"
        "    return made\n"
    )
    exec(compile(source, f"<build {cls.__name__}>", "exec"), names)  # noqa: S102 - our own names
    return names["build"]


class FastModel(Model):
    class Meta:
        abstract = True

    @classmethod
    def _plan_now(cls) -> tuple[tuple[str, str, Converter], ...] | None:
        meta = cls._meta
        cached = cls.__dict__.get("_row_plan")
        # Tortoise regenerates the field lists (new tuples) each time it is initialised,
        # per backend (a date is native on PostgreSQL, text on SQLite): the first tuple's
        # identity says whether the plan was made from the current lists.
        if cached is None or not meta.db_native_fields or cached[0] is not meta.db_native_fields[0]:
            first = meta.db_native_fields[0] if meta.db_native_fields else None
            cached = (first, _row_plan(cls))
            cls._row_plan = cached  # type: ignore[attr-defined]  # per concrete class
        return cached[1]

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Any:
        plan = cls._plan_now()
        if plan is None:
            return super()._init_from_db(**kwargs)
        self = cls.__new__(cls)
        values = self.__dict__
        values["_partial"] = False
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = cls._meta.db_pk_column not in cls._meta.generated_db_fields
        values["_await_when_save"] = {}
        try:
            for key, attribute, convert in plan:
                value = kwargs[key]
                values[attribute] = value if convert is None else convert(value)
        except KeyError:  # a partial row (`.only()`): Tortoise's own path
            return super()._init_from_db(**kwargs)
        return self

    @classmethod
    async def where_in(
        cls, field: str, keys: Sequence[Any], order: tuple[str, ...] = (), **equal: Any
    ) -> list[Self]:
        """`cls.filter(<field>__in=keys, **equal).order_by(*order)` (fields by name, "pk"
        for the primary key), without building the query or a keyword dict per row: the
        SQL is made once per shape, and each row's values go straight into its model by
        position. Loaders run this for every batch, and Tortoise's query building and
        per-row `**row` were a third of a program page's time (`make bench`, (a))."""
        if not keys:
            return []
        db = cls._choose_db()
        dialect = db.capabilities.dialect
        plan = cls._plan_now()
        if plan is None or dialect not in _DIRECT_DIALECTS:
            query = cls.filter(**{f"{field}__in": list(keys)}, **equal)
            return await query.order_by(*order)
        meta = cls._meta
        projection = meta.fields_db_projection

        def column(name: str) -> str:
            return projection[meta.pk_attr if name == "pk" else name]

        sql = _select_in(
            meta.db_table,
            tuple(name for name, _, _ in plan),
            column(field),
            len(keys),
            tuple(column(name) for name in equal),
            tuple(column(name) for name in order),
            dialect,
        )
        rows = await _fetch(db, dialect, sql, [*keys, *equal.values()])
        return cls._build(plan, rows)

    @classmethod
    def _build(cls, plan: RowPlan, rows: Sequence[Any]) -> list[Self]:
        """Models from rows whose values are in `plan`'s column order."""
        cached = cls.__dict__.get("_row_builder")
        if cached is None or cached[0] is not plan:
            cached = (plan, _compile_builder(cls, plan))
            cls._row_builder = cached  # type: ignore[attr-defined]  # per concrete class
        return cached[1](rows)

    @classmethod
    async def by_pk(cls, pk: Any) -> Self | None:
        """`cls.get_or_none(pk=pk)`, the same fast way as `where_in`."""
        rows = await cls.where_in("pk", [pk])
        return rows[0] if rows else None

    @classmethod
    def fast_query(cls, **equal: Any) -> FastQuery[Self]:
        """`cls.filter(**equal)` as a `FastQuery`."""
        return FastQuery(cls).filter(**equal)


M = TypeVar("M", bound=FastModel)


class FastQuery(Generic[M]):
    """The few QuerySet operations a connection's page needs, as SQL made once per shape
    and rows built as `where_in` builds them: `filter` by equality and `pk`/`id` `__gt`
    and `__lt`, one `either` group (OR of equalities), `exclude_in` (not among another
    table's values), `order_by` one field, `limit`, `count`. A connection's page and its
    count were the rest of Tortoise's share of a program page. Anything else is a
    TypeError: use a QuerySet for it."""

    __slots__ = ("_either", "_limit", "_order", "conditions", "model")

    def __init__(
        self,
        model: type[M],
        conditions: tuple[tuple[str, str, Any], ...] = (),
        either: tuple[tuple[str, Any], ...] = (),
        order: tuple[str, bool] | None = None,
        limit: int | None = None,
    ) -> None:
        self.model = model
        self.conditions = conditions
        self._either = either
        self._order = order
        self._limit = limit

    def _column(self, name: str) -> str:
        meta = self.model._meta
        return meta.fields_db_projection[meta.pk_attr if name in ("pk", "id") else name]

    def _value(self, name: str, value: Any) -> Any:
        meta = self.model._meta
        field = meta.fields_map[meta.pk_attr if name in ("pk", "id") else name]
        return field.to_db_value(value, self.model)

    def filter(self, **kwargs: Any) -> FastQuery[M]:
        conditions = list(self.conditions)
        for lookup, value in kwargs.items():
            name, _, operator = lookup.partition("__")
            if operator not in _OPERATORS or (operator and name not in ("pk", "id")):
                raise TypeError(f"FastQuery does not filter by {lookup!r}")
            conditions.append((self._column(name), _OPERATORS[operator], self._value(name, value)))
        return FastQuery(self.model, tuple(conditions), self._either, self._order, self._limit)

    def either(self, **equal: Any) -> FastQuery[M]:
        """Rows where any one of these equalities holds."""
        if self._either:
            raise TypeError("FastQuery takes one `either` group")
        group = tuple((self._column(key), self._value(key, value)) for key, value in equal.items())
        return FastQuery(self.model, self.conditions, group, self._order, self._limit)

    def exclude_in(
        self, field: str, model: type[Model], selected: str, **equal: Any
    ) -> FastQuery[M]:
        """Rows whose `field` is not among `model`'s `selected` values where one equality
        holds: `.exclude(field__in=Subquery(model.filter(**equal).values(selected)))`
        (the people who blocked the viewer, say)."""
        ((key, value),) = equal.items()
        meta = model._meta
        projection = meta.fields_db_projection
        inner = (
            f' NOT IN (SELECT "{projection[selected]}" FROM "{meta.db_table}"'
            f' WHERE "{projection[key]}"={{}})'
        )
        value = meta.fields_map[key].to_db_value(value, model)
        conditions = (*self.conditions, (self._column(field), inner, value))
        return FastQuery(self.model, conditions, self._either, self._order, self._limit)

    def order_by(self, field: str) -> FastQuery[M]:
        descending = field.startswith("-")
        order = (self._column(field.lstrip("-")), descending)
        return FastQuery(self.model, self.conditions, self._either, order, self._limit)

    def limit(self, limit: int) -> FastQuery[M]:
        return FastQuery(self.model, self.conditions, self._either, self._order, limit)

    def _sql(self, columns: tuple[str, ...] | None, dialect: str) -> tuple[str, list[Any]]:
        limited = columns is not None and self._limit is not None
        sql = _select_where(
            self.model._meta.db_table,
            columns,
            tuple((column, operator) for column, operator, _ in self.conditions),
            tuple(column for column, _ in self._either),
            self._order if columns is not None else None,
            limited,
            dialect,
        )
        values = [value for _, _, value in self.conditions]
        values += [value for _, value in self._either]
        if limited:
            values.append(self._limit)
        return sql, values

    async def count(self) -> int:
        db = self.model._choose_db()
        dialect = db.capabilities.dialect
        sql, values = self._sql(None, dialect)
        rows = await _fetch(db, dialect, sql, values)
        return int(rows[0][0])

    async def _rows(self) -> list[M]:
        db = self.model._choose_db()
        dialect = db.capabilities.dialect
        plan = self.model._plan_now()
        if plan is None or dialect not in _DIRECT_DIALECTS:
            raise TypeError(f"FastQuery runs on {_DIRECT_DIALECTS}, with time zones on")
        sql, values = self._sql(tuple(name for name, _, _ in plan), dialect)
        return self.model._build(plan, await _fetch(db, dialect, sql, values))

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self._rows().__await__()
