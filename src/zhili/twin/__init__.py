"""The synthetic district (twin): a generated Yuhang with its truth and 25 department systems.

`world/` makes the truth (people, houses, enterprises, ...), `sources/` renders what each
department system would export from it, and `generate.py` writes both to a directory.
"""
