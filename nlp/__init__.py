"""Chinese text processing for linli: normalisation, segmentation, classification."""
