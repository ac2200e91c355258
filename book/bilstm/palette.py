"""The book's colours: the Okabe-Ito palette (no matplotlib needed).

It stays distinguishable for the common forms of colour blindness. The
figures (:mod:`bilstm.plots`) and the panel's HTML (:mod:`bilstm.widgets`)
both use it.
"""

__all__ = ["OKABE_ITO"]

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish_green": "#009E73",
    "vermillion": "#D55E00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
