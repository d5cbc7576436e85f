"""Settings > Render farm: the app's default farm, checked before it is saved."""

from __future__ import annotations

from typing import Any

import pytest


def test_the_render_farm_setting_is_saved_and_a_bad_address_refused(qtbot: Any) -> None:
    from previz.core.errors import InvalidInput
    from previz.services.settings import AppSettings
    from previz.ui.settings_dialog import QtSettingsDialog

    dlg = QtSettingsDialog(AppSettings.load())
    qtbot.addWidget(dlg)
    dlg.farm.setText("ray://farm-head.studio:10001")
    dlg.apply()
    assert AppSettings.load().farm_address == "ray://farm-head.studio:10001"
    dlg.farm.setText("farm-head.studio")  # no port
    with pytest.raises(InvalidInput, match="host:port"):
        dlg.apply()
    assert AppSettings.load().farm_address == "ray://farm-head.studio:10001"
    dlg.farm.setText("")
    dlg.apply()
    assert AppSettings.load().farm_address == ""
