"""Presence registry (pure)."""

from server.core.presence import PALETTE, Presence


def test_colours_do_not_repeat_until_the_palette_is_used_up() -> None:
    presence = Presence()
    colours = [presence.join(f"p{i}", f"n{i}", "participant")["color"] for i in range(len(PALETTE))]
    assert sorted(colours) == sorted(PALETTE)
    again = Presence(presence.all())
    assert again.entries["p3"]["color"] == colours[3]  # kept across reloads


def test_leave_goes_offline_only_with_the_last_connection() -> None:
    presence = Presence()
    presence.join("a", "Ada", "participant")
    presence.join("a", "Ada", "participant")
    presence.take_dirty()
    presence.leave("a")
    assert presence.entries["a"]["online"] is True and not presence.take_dirty()
    presence.leave("a")
    assert presence.entries["a"]["online"] is False
    assert [e["id"] for e in presence.take_dirty()] == ["a"]


def test_remote_entries_expire_when_their_process_goes_quiet() -> None:
    presence = Presence()
    presence.merge_remote([{"id": "r", "name": "Remote", "color": "#000", "role": "participant",
                            "online": True}], now=100.0)
    assert presence.expire(now=105.0) == []
    assert presence.expire(now=111.0) == ["r"]
    assert presence.entries["r"]["online"] is False
