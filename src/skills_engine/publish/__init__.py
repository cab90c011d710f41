"""Everything a reader sees outside Python.

The publish subpackage owns the findings recorded by notebooks (:mod:`~skills_engine.publish.findings`),
the tables readers see (:mod:`~skills_engine.publish.tables`), the figures
(:mod:`~skills_engine.publish.figures`), the static try-it model (:mod:`~skills_engine.publish.tryit`),
the Regions page (:mod:`~skills_engine.publish.regions_page`), and the website builder, split into
reading executed notebooks (:mod:`~skills_engine.publish.notebooks`), generating pages
(:mod:`~skills_engine.publish.pages`, the model card's measured sections in
:mod:`~skills_engine.publish.model_card`) and rendering (:mod:`~skills_engine.publish.render`).

It may import from ``data``, ``occupations``, ``extraction``, ``regional`` and ``recommender``,
never from ``service``, ``bench`` or ``cli``. Submodules are not imported here, so importing the
package loads nothing heavy.
"""
