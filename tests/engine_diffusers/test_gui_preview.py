"""The job panel shows the live latent previews of a real diffusers job (a tiny LTX model
built in code), long before the VAE decodes the shot."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)


def test_job_panel_shows_live_previews_of_a_tiny_model_job(
    qtbot, tmp_path: Path, ltx_model: Path
) -> None:
    pytest.importorskip("PySide6")
    from previz.services.project import ProjectService
    from previz.services.settings import AppSettings
    from previz.ui.main_window import QtMainWindow

    settings = AppSettings.load()
    settings.default_engine = "diffusers"
    settings.default_model = str(ltx_model)
    settings.save()

    path = tmp_path / "Tiny.previz"
    svc = ProjectService.create(path, fps="24", size="160x96")
    svc.add_shot(prompt="WIDE, dusk, a ferry leaves the pier", duration_frames=17)
    svc.close()

    w = QtMainWindow(worker_factory=None, restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    try:
        assert w.open_project(path)
        [job] = w.actions.generate(w.timeline.shot_ids())
        assert job.payload["engine"] == "diffusers"
        seen: dict[str, object] = {}

        def previewing() -> None:
            row = w.jobs.row(job.id)
            assert row is not None and row.job.status == "running"
            assert row.preview_shown and not row.preview.pixmap().isNull()
            seen["status"] = row.status.text()

        qtbot.waitUntil(previewing, timeout=180_000)
        assert "Running" in str(seen["status"])

        def done() -> None:
            row = w.jobs.row(job.id)
            assert row is not None and row.job.status == "done", row.job.message if row else ""

        qtbot.waitUntil(done, timeout=180_000)
        take = w.svc.take(w.timeline.shot_ids()[0])
        assert take.engine == "diffusers" and take.frame_count == 17
    finally:
        w.close()
