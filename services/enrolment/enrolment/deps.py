"""Per-process resources the endpoints use, built in the app's startup hook."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from enrolment.blobstore import BlobStore
from enrolment.config import Settings
from enrolment.cycles.snapshot import SnapshotCache
from enrolment.privacy import PersonalDataVault


def get_vault(request: Request) -> PersonalDataVault:
    vault: PersonalDataVault = request.app.state.vault
    return vault


def get_blobs(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blobs
    return blobs


def get_snapshots(request: Request) -> SnapshotCache:
    snapshots: SnapshotCache = request.app.state.snapshots
    return snapshots


def get_now(request: Request) -> datetime:
    """The request's moment; tests replace `app.state.clock` to stand at 13:00 on a given day."""
    now: datetime = request.app.state.clock()
    return now


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Vault = Annotated[PersonalDataVault, Depends(get_vault)]
Blobs = Annotated[BlobStore, Depends(get_blobs)]
Snapshots = Annotated[SnapshotCache, Depends(get_snapshots)]
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_settings)]
