"""Sample production (issue 4): Pythia 8 + FastJet, pile-up from a cached pool, a simple
documented detector model producing L1 objects, written as a ROOT TTree ``Events``.

Entry points: :func:`trigger.samples.production.generate` and ``l1emu generate``. The branch
names and types are listed in ``trigger/io/schemas/l1emu.yaml``; the detector model is described in the
docstrings of :mod:`~trigger.samples.geometry`, :mod:`~trigger.samples.calo` and
:mod:`~trigger.samples.muons`.
"""

from __future__ import annotations

__all__: list[str] = []
