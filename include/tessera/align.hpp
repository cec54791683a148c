#pragma once
/// \file align.hpp
/// The align module: orthogonal / semi-orthogonal Procrustes with centring, scaling, weights
/// and a reflection guard; generalized Procrustes; vocabulary helpers for aligning two
/// embedding spaces.

#include "align/alignment_report.hpp"
#include "align/generalized_procrustes.hpp"
#include "align/pca_bridge.hpp"
#include "align/procrustes.hpp"
#include "align/retrieval.hpp"
#include "align/similarity_transform.hpp"
#include "align/vocabulary.hpp"
