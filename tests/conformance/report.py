"""What the conformance scripts share: removing their temporary folder, listing their failures."""

import shutil


def remove_or_keep(tmp, keep):
    """Removes the temporary folder, or says where it is kept."""
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def print_failures(failures, most=40):
    """Each failure as `-- what` and its first `most` details."""
    if not failures:
        return
    print("\n==== failures")
    for what, details in failures:
        print(f"-- {what}")
        for d in details[:most]:
            print(f"   {d}")
        if len(details) > most:
            print(f"   … and {len(details) - most} more")
