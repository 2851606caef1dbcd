"""Ring (stripe) artefact removal for tomography, on every core.

Ring artefacts in reconstructed slices come from detector columns whose response differs from
their neighbours'; in a sinogram (axis 0: angle, axis 1: detector column) they are stripes along
the angles. Every function takes one sinogram (angles, columns) or a projection stack (angles,
rows, columns), cleaned sinogram by sinogram, and the keyword-only ``workers=`` and ``out=``.

- Vo et al. 2018, Optics Express 26(22) 28396, with algotom's names, parameters and defaults:
  :func:`remove_stripe_based_sorting`, :func:`remove_stripe_based_filtering`,
  :func:`remove_stripe_based_fitting`, :func:`remove_large_stripe`, :func:`remove_dead_stripe`,
  :func:`remove_all_stripe` and :func:`detect_stripe`. They expect flat-field-corrected
  transmission data (intensities, roughly 0 to 1), not -log data.
- Münch et al. 2009, Optics Express 17(10) 8567, with tomopy's parameters and defaults:
  :func:`remove_stripe_fw`. It expects -log (line-integral) data.

algotom's ``**options`` (another smoothing filter instead of the median) are not supported.
"""

from ._detect import detect_stripe
from ._munch import remove_stripe_fw
from ._vo import (
    remove_all_stripe,
    remove_dead_stripe,
    remove_large_stripe,
    remove_stripe_based_filtering,
    remove_stripe_based_fitting,
    remove_stripe_based_sorting,
)

__all__ = [
    "detect_stripe",
    "remove_all_stripe",
    "remove_dead_stripe",
    "remove_large_stripe",
    "remove_stripe_based_filtering",
    "remove_stripe_based_fitting",
    "remove_stripe_based_sorting",
    "remove_stripe_fw",
]
