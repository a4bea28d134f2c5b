"""Liaison book (cahier de liaison): entries and their workflow (:mod:`.entries`), the read
side for lists and details (:mod:`.views`), attachments (:mod:`.files`), conversions into a
quote or an amendment (:mod:`.convert`) and the compte-rendu dashboard (:mod:`.dashboard`).
"""
