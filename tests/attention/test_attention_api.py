"""The public surface of mindshare.attention."""

import mindshare.attention


def test_all_is_sorted_and_every_name_exists() -> None:
    names = mindshare.attention.__all__

    assert names == sorted(names)
    assert all(hasattr(mindshare.attention, name) for name in names)
