"""The demo (``chibo demo``) and the scene it plays, which the tests drive too: no production module imports them."""
