"""The bottom layer of linli: Chinese text processing (normalisation, segmentation,
classification, masking of personal data). Pure functions of text; imports nothing of linli's.
"""
