"""Commands run without a capability, for the tests of rawnet's privilege errors.

They stay root (uid 0) and lose only the capability: user nobody could not read a checkout that
only root can enter (a clone under /root, mode 0700), so it could not even import rawnet.
"""

from __future__ import annotations

from collections.abc import Sequence


def without(capability: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run by setpriv without ``capability`` (a setpriv name such as "net_raw").

    The capability leaves the bounding, inheritable and ambient sets before the exec, so the
    command (still uid 0) gets it in neither its permitted nor its effective set, and nothing it
    runs can get it back.
    """
    drop = f"-{capability}"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", f"--ambient-caps={drop}", *argv]
