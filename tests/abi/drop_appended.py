"""Hide fields appended to struct_size-versioned structs before abidiff compares two ABIs.

usage: drop_appended.py BASELINE.abi BUILT.abi OUT.abi

docs/abi.md: a struct that starts with a `uint32_t struct_size` field only ever grows at the end,
and the library accepts callers compiled against a smaller or larger version. Appending a field
to such a struct therefore keeps the ABI, but abidiff reports it as a size change.
libabigail's `has_data_member_inserted_at = end` suppression is too coarse for this (it also
hides a retyped member of the same struct), so this script writes a copy of BUILT.abi in which
each such struct whose baseline fields are an exact prefix of its new fields (same names, same
offsets) is cut back to the baseline fields and size. abidiff still compares the types of the
kept fields, and reports any other change: a field inserted, removed, moved or retyped, or an
append to a struct without struct_size. The cut fields are printed, one per line.
"""
import sys
import xml.etree.ElementTree as ET


def fields(cls):
    """(name, offset) of each data member of a class-decl, in order."""
    out = []
    for dm in cls.findall("data-member"):
        var = dm.find("var-decl")
        out.append((var.get("name") if var is not None else None, dm.get("layout-offset-in-bits")))
    return out


def versioned_structs(root):
    """Complete struct definitions whose first field is struct_size at offset 0, by name."""
    found = {}
    for cls in root.iter("class-decl"):
        if cls.get("is-declaration-only") == "yes" or cls.get("is-struct") != "yes":
            continue
        f = fields(cls)
        if f and f[0] == ("struct_size", "0"):
            found[cls.get("name")] = cls
    return found


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: drop_appended.py BASELINE.abi BUILT.abi OUT.abi")
    old = versioned_structs(ET.parse(argv[1]).getroot())
    tree = ET.parse(argv[2])
    cut = set()
    for cls in tree.getroot().iter("class-decl"):
        name = cls.get("name")
        if name not in old or cls.get("is-declaration-only") == "yes":
            continue
        keep = fields(old[name])
        new = fields(cls)
        if len(new) <= len(keep) or new[:len(keep)] != keep:
            continue
        for dm in cls.findall("data-member")[len(keep):]:
            cut.add("%s.%s" % (name, dm.find("var-decl").get("name")))
            cls.remove(dm)
        cls.set("size-in-bits", old[name].get("size-in-bits"))
    tree.write(argv[3], encoding="utf-8", xml_declaration=False)
    for c in sorted(cut):
        print(c)


if __name__ == "__main__":
    main(sys.argv)
