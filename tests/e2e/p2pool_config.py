"""Builders for <Plugin p2pool> configuration text.

Options are given as keyword arguments named like the configuration keys:
observer_block("mini", url, Interval=1, Timeout=2, Events=False). Python
booleans become true/false, numbers stay bare, strings are quoted, and a
list or tuple gives several values on one line.
"""


def format_value(value):
    """Format one option value in collectd's configuration syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return " ".join(format_value(v) for v in value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"%s"' % text


def option_lines(options, indent="  "):
    return "".join("%s%s %s\n" % (indent, key, format_value(value))
                   for key, value in options.items())


def block(kind, name, options, inner=""):
    """Return a named block: <kind "name"> options inner </kind>."""
    return "<%s %s>\n%s%s</%s>\n" % (kind, format_value(name), option_lines(options), inner, kind)


def observer_block(name, url, **options):
    """Return an <Observer> block. Events defaults to false, so a test that
    does not look at the event stream needs no websocket."""
    options = dict({"URL": url, "Events": False}, **options)
    return block("Observer", name, options)


def wallet_block(name, address, observer, **options):
    """Return a <Wallet> block for an address watched on an observer."""
    options = dict({"Address": address, "Observer": observer}, **options)
    return block("Wallet", name, options)
