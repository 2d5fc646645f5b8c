"""The shapes of ids and text the routes accept, stated once.

An id is 1 to 128 characters with no NUL (no database column can hold one); a body that
breaks this is FastAPI's 422, before anything reads the store.
"""

from typing import Annotated

from fastapi import Path
from pydantic import Field

#: Any character but NUL.
NO_NUL = r"^[^\x00]*$"

#: An id in a request body (a transfer, an account, a listing, a person …).
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=NO_NUL)]
#: An id in the path (``/items/{item_id}``).
PathId = Annotated[str, Path(min_length=1, max_length=128, pattern=NO_NUL)]
#: A short free text (a transfer's note).
Note = Annotated[str, Field(max_length=256, pattern=NO_NUL)]
