"""Evaluation protocols on frozen embeddings."""
from .linear_probe import ProbeResult, linear_probe
from .ogb_evaluator import OGBEvaluator, ogb_eval_metric
from .logistic_regression import DEFAULT_C_GRID, LogisticRegressionResult, logistic_regression
from .rankme import rankme
from .summary import mean_std
from .svm import svm_cross_validation
from .clustering_metrics import adjusted_rand_index, contingency_table, normalized_mutual_info
from .node_clustering import kmeans_labels, node_clustering
from .node_classification import node_classification
from .link_prediction import EdgeSplit, hits_at_k, link_prediction, roc_auc, split_edges
from .partition_prediction import partition_prediction
from .downstream import DOWNSTREAM_TASKS, HEADLINE_METRICS, evaluate_downstream, harmonic_mean, parse_tasks

__all__ = ["linear_probe", "ProbeResult", "mean_std", "rankme", "svm_cross_validation"]
__all__ += ["normalized_mutual_info", "adjusted_rand_index", "contingency_table", "kmeans_labels", "node_clustering",
            "node_classification", "EdgeSplit", "split_edges", "roc_auc", "hits_at_k", "link_prediction",
            "partition_prediction", "DOWNSTREAM_TASKS", "HEADLINE_METRICS", "evaluate_downstream", "harmonic_mean",
            "parse_tasks"]
__all__ += ["logistic_regression", "LogisticRegressionResult", "DEFAULT_C_GRID"]
__all__ += ["OGBEvaluator", "ogb_eval_metric"]
