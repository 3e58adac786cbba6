"""Published per-dataset configurations, kept as data: `<method>/<dataset>.yaml`
(and `<method>/default.yaml`). They are the defaults when a dataset is named."""
