"""Two services of the shop on FastAPI with the real sentry-sdk, for traces and performance.

`SHOP_ROLE=api` is the public API; `SHOP_ROLE=payments` the service it calls. Both run under
uvicorn (tests/sdk_apps.py `start_fastapi(..., app="services:app")`), each with its own DSN.

- `GET /checkout` (api) calls `POST /charge` on payments (`PAYMENTS_URL`) with httpx, which
  sentry-sdk's HttpxIntegration instruments: the call is an `http.client` span and the request
  carries `sentry-trace` and `baggage`, so payments continues the same trace. `/charge`
  logs a warning (a Sentry log, sent in a batch on shutdown) and raises; the api answers 200
  with the status it got.
- `GET /authors` (api) reads the authors, then each author's books one query at a time
  (the N+1 loop) through SQLAlchemy over SQLite, which the SqlalchemyIntegration records as
  `db` spans.
- `GET /report` (api) runs one slow `SELECT` (a slow DB query).
- `GET /dashboard` (api) calls payments' `GET /balance` three times one after the other
  (consecutive HTTP calls that could run in parallel); each answer takes about 80 ms.
  The shop's page calls `/balance` too (CORS allows it), continuing its pageload's trace.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import sentry_sdk
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import ForeignKey, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

ROLE = os.environ.get("SHOP_ROLE", "api")
PAYMENTS_URL = os.environ.get("PAYMENTS_URL", "http://127.0.0.1:9")

sentry_sdk.init(
    dsn=os.environ.get("SENTRY_DSN"),
    release=os.environ.get("SENTRY_RELEASE", "shop@2.0.0"),
    environment="development",
    server_name=f"shop-{ROLE}",
    traces_sample_rate=1.0,
    enable_logs=True,
    send_default_pii=True,
)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))


# One in-memory database shared by the threads FastAPI runs sync endpoints in.
engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
Base.metadata.create_all(engine)
with Session(engine) as session:
    for a in range(8):
        session.add(Author(id=a + 1, name=f"author {a + 1}"))
        session.add_all(Book(title=f"book {a + 1}.{b}", author_id=a + 1) for b in range(2))
    session.commit()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    sentry_sdk.flush(timeout=5)  # uvicorn re-raises SIGTERM: the atexit flush would not run


app = FastAPI(lifespan=lifespan)
# The shop's page (another origin) calls /balance with sentry-trace and baggage headers.
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_headers=["*"])


class CardDeclined(Exception):
    pass


@app.get("/checkout")
async def checkout() -> dict[str, str]:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{PAYMENTS_URL}/charge", json={"order": 1001})
    return {"payments": str(answer.status_code)}


@app.post("/charge")
async def charge() -> dict[str, str]:
    sentry_sdk.logger.warning("charging order {order} failed", order=1001)
    raise CardDeclined("card declined for order 1001")


@app.get("/authors")
def authors() -> dict[str, list[str]]:
    with Session(engine) as session:
        out: dict[str, list[str]] = {}
        for author in session.scalars(select(Author)).all():
            books = session.scalars(select(Book).where(Book.author_id == author.id)).all()
            out[author.name] = [b.title for b in books]
    return out


@app.get("/report")
def report() -> dict[str, int]:
    """One slow SELECT (a recursive count, a few hundred ms on SQLite)."""
    with Session(engine) as session:
        total = session.execute(
            text(
                "SELECT count(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL"
                " SELECT x + 1 FROM n WHERE x < 2000000) SELECT x FROM n)"
            )
        ).scalar_one()
    return {"rows": int(total)}


@app.get("/dashboard")
async def dashboard() -> dict[str, int]:
    total = 0
    async with httpx.AsyncClient() as client:
        for account in (1, 2, 3):
            answer = await client.get(f"{PAYMENTS_URL}/balance", params={"account": account})
            total += int(answer.json()["balance"])
    return {"total": total}


@app.get("/balance")
async def balance(account: int) -> dict[str, int]:
    await asyncio.sleep(0.08)
    return {"balance": account * 10}
